"""Problems the checker reports (`path:line: CODE message`) and the collector the checks write into."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context


@dataclass(frozen=True)
class Problem:
    """One finding about a package: errors (E...) stop an import, warnings (W...) do not."""

    path: str
    line: int
    code: str
    message: str
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


def config(key: str, default):
    """A setting from the current app, or the default outside an app context."""
    return current_app.config.get(key, default) if has_app_context() else default


def display_root(path: Path) -> str:
    """How a package's path is shown: relative to the courses folder's parent when inside it, else as given."""
    if path.is_absolute():
        courses_dir = config("COURSES_DIR", None)
        if courses_dir:
            try:
                return path.resolve().relative_to(Path(courses_dir).resolve().parent).as_posix()
            except ValueError:
                pass
    return path.as_posix()


class Reporter:
    """Collects the problems of one package, with paths shown under the package's display root."""

    def __init__(self, root: Path):
        self.root = display_root(root)
        self.problems: list[Problem] = []

    def path(self, relpath: str | None) -> str:
        return f"{self.root}/{relpath}" if relpath else self.root

    def error(self, relpath: str | None, line: int | None, code: str, message: str) -> None:
        self.problems.append(Problem(self.path(relpath), max(1, line or 1), code, str(message), "error"))

    def warning(self, relpath: str | None, line: int | None, code: str, message: str) -> None:
        self.problems.append(Problem(self.path(relpath), max(1, line or 1), code, str(message), "warning"))

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)
