"""Importing course packages: check, render once, and store a new CourseVersion for each changed package.

A package whose bytes did not change since its current version is skipped without parsing or rendering.
Each package is written inside its own savepoint, so a refused or crashing package leaves its previous
version exactly as it was while the others still import. Functions flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Asset, Course, CourseVersion, Module, Provider
from ..storage import media_store
from .checker import (
    RequiresContext, check_package, check_requires, messages_in, read_requires, requires_context, unexpected,
)
from .fields import line_of
from .files import file_sha256, list_files, open_regular, package_hash, read_capped
from .package import (MANIFEST, MODULES_DIR, SLUG_RE, PackageData, decode_text, discover_packages, package_paths,
                      read_manifest)
from .problems import Problem, Reporter, config, printable
from .render import RenderedModule

log = logging.getLogger(__name__)


@dataclass
class ImportItem:
    """One package in an import report: its slug, the version now published (or None) and its problems."""

    slug: str
    version: int | None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did, package by package."""

    new: list[ImportItem] = field(default_factory=list)
    updated: list[ImportItem] = field(default_factory=list)
    unchanged: list[ImportItem] = field(default_factory=list)
    refused: list[ImportItem] = field(default_factory=list)


def import_packages(paths: list[Path] | None = None, published_by_id: int | None = None,
                    lang: str | None = None) -> ImportReport:
    """Import the given package folders (None: every package in COURSES_DIR); flushes, the caller commits.

    `published_by_id`: the studio user who published (recorded on each new version). `lang`: the language of the
    problems reported, as checker.messages_in takes it (None: the current locale; "course": each package's own)."""
    if paths is None:
        paths = discover_packages(Path(current_app.config["COURSES_DIR"]))
    paths = package_paths(paths)
    _begin_transaction()
    context = requires_context(paths)
    rows = db.session.execute(
        select(Course, CourseVersion)
        .outerjoin(CourseVersion, Course.current_version_id == CourseVersion.id)
        .where(Course.slug.in_([p.name for p in paths if SLUG_RE.match(p.name)]))  # no odd bytes to the database
    ).all()
    existing = {course.slug: (course, version) for course, version in rows}
    report = ImportReport()
    for path in paths:
        course, version = existing.get(path.name, (None, None))
        try:
            with messages_in(path, lang):
                _import_one(path, course, version, context, report, published_by_id)
        except Exception as error:  # noqa: BLE001 (whatever one package does must not stop the others)
            reporter = Reporter(path)
            unexpected(reporter, None, error, path)
            report.refused.append(ImportItem(printable(path.name), None, reporter.problems))
    return report


def _begin_transaction() -> None:
    """Open the outer transaction before the first savepoint, so that savepoints nest inside it.

    Python's sqlite3 driver only begins a transaction before a write; a SAVEPOINT outside one starts a
    transaction of its own, and its RELEASE would commit the package behind the caller's back.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")


def store_asset(source: Path, sha256: str, content_type: str | None = None) -> None:
    """Put a file into the content-addressed media store (skipped when already there; see storage/)."""
    with open_regular(source) as src:
        media_store().put(sha256, src, content_type)


def store_asset_data(data: bytes, sha256: str, content_type: str | None = None) -> None:
    """Put bytes into the content-addressed media store (skipped when already there; see storage/)."""
    media_store().put(sha256, data, content_type)


def _import_one(path: Path, course, version, context: RequiresContext, report: ImportReport,
                published_by_id: int | None = None) -> None:
    slug = printable(path.name)
    try:
        limit = int(config("MAX_ASSET_MB", 20) * 1024 * 1024) + 1  # a file past the cap is refused: hash no more
        source_hash = package_hash(path, list_files(path), limit) if path.is_dir() else None
    except Exception:  # noqa: BLE001 (the checker says what is wrong with the folder)
        source_hash = None
    if version is not None and source_hash == version.source_hash:
        problems = _requires_problems(path, context)
        if not problems and version.manifest_source is None:
            _keep_sources(path, version)
        (report.refused if problems else report.unchanged).append(ImportItem(slug, version.number, problems))
        return
    data, problems = check_package(path, context.known, context.graph, reuse=_reuser(course))
    if data is None or source_hash is None:
        report.refused.append(ImportItem(slug, None, problems))
        return
    owner = _provider_conflict(course, data)
    if owner:
        problems.append(Problem(Reporter(path).path(MANIFEST), 1, "E116", _(
            "the course '%(slug)s' already belongs to the provider '%(owner)s', not '%(provider)s'; an administrator "
            "can move it", slug=slug, owner=owner, provider=data.provider)))
        report.refused.append(ImportItem(slug, None, problems))
        return
    try:
        with db.session.begin_nested():
            number = _write(data, source_hash, course, published_by_id)
    except Exception as error:  # one broken package must not stop the others
        log.exception("Importing %s failed", path)
        problems.append(Problem(Reporter(path).root, 1, "E190", _(
            "unexpected error while importing this package (%(error)s); please report it",
            error=f"{type(error).__name__}: {error}")))
        report.refused.append(ImportItem(slug, None, problems))
        return
    (report.new if course is None else report.updated).append(ImportItem(slug, number, problems))


def _keep_sources(path: Path, version: CourseVersion) -> None:
    """A version imported before sources were kept gets them from its unchanged package (the same hash: the same
    files), so the studio can open, compare and export it. Whatever cannot be read leaves the version as it was."""
    try:
        with db.session.begin_nested():
            cap = int(config("MAX_MODULE_KB", 128)) * 1024
            for module in db.session.execute(select(Module).where(Module.version_id == version.id)).scalars():
                module.source = decode_text(read_capped(path / MODULES_DIR / module.filename, cap))
            version.manifest_source = read_manifest(path)
    except (OSError, ValueError):
        log.warning("Could not keep the sources of %s version %d", path, version.number)


def _requires_problems(path: Path, context: RequiresContext) -> list[Problem]:
    """Cross-package checks still run for an unchanged package: its `requires` may now be unknown or a loop."""
    reporter = Reporter(path)
    try:
        line = line_of(read_manifest(path).split("\n"), "requires")
    except (OSError, ValueError):
        line = 1
    check_requires(path.name, read_requires(path), context, reporter, line)
    return reporter.problems


def _reuser(course: Course | None):
    """A lookup from render hash to an earlier rendering of a module of the same course, or None."""
    if course is None:
        return None
    known = dict(db.session.execute(
        select(Module.render_hash, func.max(Module.id))
        .join(CourseVersion, Module.version_id == CourseVersion.id)
        .where(CourseVersion.course_id == course.id)
        .group_by(Module.render_hash)
    ).all())

    def reuse(render_hash: str) -> RenderedModule | None:
        module_id = known.get(render_hash)
        if module_id is None:
            return None
        html, toc = db.session.execute(select(Module.html, Module.toc).where(Module.id == module_id)).one()
        return RenderedModule(html=html, toc=toc, word_count=0, links=[])

    return reuse


def _provider_conflict(course: Course | None, data: PackageData) -> str | None:
    """The slug of the provider that owns this course, if it is not the one the package names."""
    if course is None:
        return None
    owner = db.session.execute(select(Provider.slug).where(Provider.id == course.provider_id)).scalar_one()
    return owner if owner != data.provider else None


def _write(data: PackageData, source_hash: str, course: Course | None, published_by_id: int | None = None) -> int:
    """Store provider, course, a new version, its modules and assets; point the course at the new version."""
    provider = db.session.execute(select(Provider).where(Provider.slug == data.provider)).scalar_one_or_none()
    if provider is None:
        provider = Provider(slug=data.provider, name=data.provider_name or data.provider, kind=data.provider_kind)
        db.session.add(provider)
        db.session.flush()
    if course is None:
        course = Course(slug=data.slug, provider_id=provider.id)
        db.session.add(course)
        db.session.flush()
    previous = db.session.execute(
        select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
    ).scalar_one_or_none()
    version = CourseVersion(
        course_id=course.id, number=(previous or 0) + 1, source_hash=source_hash, title=data.title,
        summary=data.summary, industry=data.industry, stage=data.stage, language=data.language,
        audience=data.audience, estimated_minutes=data.estimated_minutes, pass_mark=data.pass_mark,
        show_answers=data.show_answers, attempts_per_day=data.attempts_per_day,
        requires=data.requires, certificate=data.certificate, partners=data.partners, outline=data.outline,
        dma_dimensions=data.dma_dimensions,
        manifest_source=read_manifest(data.path), published_by_id=published_by_id,
    )
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        Module(
            version_id=version.id, key=m.key, position=m.position, filename=m.filename, title=m.title,
            minutes=m.minutes, objectives=m.objectives, tasks=m.tasks, quiz=m.quiz, html=m.rendered.html,
            toc=m.rendered.toc, render_hash=m.render_hash, source=m.source,
        )
        for m in data.modules
    )
    for asset in data.assets:
        if asset.data is not None:  # an SVG: its checked, re-written form is what is served
            sha256 = hashlib.sha256(asset.data).hexdigest()
            store_asset_data(asset.data, sha256, asset.content_type)
        else:
            sha256 = file_sha256(asset.file)
            store_asset(asset.file, sha256, asset.content_type)
        db.session.add(Asset(version_id=version.id, path=asset.path, sha256=sha256,
                             size=asset.size if asset.data is None else len(asset.data),
                             content_type=asset.content_type))
    course.current_version_id = version.id
    db.session.flush()
    return version.number
