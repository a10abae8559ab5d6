"""Course dependencies (`requires`): which slugs exist, and loops across packages and the database."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _

from .package import MANIFEST, discover_packages, parse_toml, read_manifest
from .problems import Reporter, config


@dataclass
class RequiresContext:
    """Which course slugs exist, and what each requires: for unknown-slug and loop checks across packages."""

    known: set[str]
    graph: dict[str, list[str]]


def requires_context(paths: list[Path]) -> RequiresContext:
    """Known slugs and requires edges: the given packages, their sibling folders, the courses folder and the DB."""
    folders = {Path(p).parent for p in paths}
    if config("COURSES_DIR", None):
        folders.add(Path(config("COURSES_DIR", None)))
    packages = {p.name: p for folder in sorted(folders) for p in discover_packages(folder)}
    packages.update({Path(p).name: Path(p) for p in paths})
    graph = _database_requires()
    known = set(graph)
    for slug, folder in packages.items():
        known.add(slug)
        graph[slug] = read_requires(folder)
    return RequiresContext(known, graph)


def _database_requires() -> dict[str, list[str]]:
    if not has_app_context() or "sqlalchemy" not in current_app.extensions:
        return {}
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from ..extensions import db
    from ..models import Course, CourseVersion

    try:
        rows = db.session.execute(
            select(Course.slug, CourseVersion.requires).outerjoin(CourseVersion, Course.current_version_id == CourseVersion.id)
        ).all()
    except SQLAlchemyError:  # `courseware check` before `courseware init`: no tables yet
        db.session.rollback()
        return {}
    return {slug: [s for s in (requires or []) if isinstance(s, str)] for slug, requires in rows}


def read_requires(folder: Path) -> list[str]:
    """The `requires` list of a package's manifest, or [] when it cannot be read (its own check says why)."""
    try:
        requires = parse_toml(read_manifest(folder)).get("requires", [])
    except (OSError, ValueError):  # ParseError, TextError and FileTooLarge are ValueErrors
        return []
    return [s for s in requires if isinstance(s, str)] if isinstance(requires, list) else []


def check_requires(slug: str, requires: list[str], context: RequiresContext, report: Reporter, line: int = 1) -> None:
    """Errors for required slugs that do not exist and for loops through `requires`."""
    for required in requires:
        if required != slug and required not in context.known:
            report.error(MANIFEST, line, "E151", _("requires '%(slug)s', but there is no course with that slug "
                                                   "(check the spelling, or add that course first)", slug=required))
    graph = dict(context.graph)
    graph[slug] = list(requires)
    loop = _find_loop(slug, graph)
    if loop:
        report.error(MANIFEST, line, "E152", _("requires makes a loop (%(loop)s): a course cannot require itself, "
                                               "directly or through other courses", loop=" → ".join(loop)))


def _find_loop(start: str, graph: dict[str, list[str]]) -> list[str] | None:
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return trail + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, trail + [nxt]))
    return None
