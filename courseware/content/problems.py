"""Problems the checker reports (`path:line: CODE message`) and the collector the checks write into."""
from __future__ import annotations

import reprlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _

# A file with more problems than this shows these and one line saying that more were left out: a hostile file
# with thousands of broken links or unknown settings must not make `check` slow or its output unreadable.
MAX_PROBLEMS_PER_FILE = 50
MAX_MESSAGE_CHARS = 600


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


def printable(text: str) -> str:
    """Text safe to print on one line: control characters and undecodable bytes of file names become escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlong = 40
_SHORT.maxlevel = 2
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4


def shown(value) -> str:
    """A value as a message shows it: quoted like repr(), but short, and never expanded without bound."""
    try:
        return printable(_SHORT.repr(value))
    except Exception:  # noqa: BLE001 (a value whose repr fails is shown by its type)
        return type(value).__name__


def short(text: str, limit: int = 60) -> str:
    """Text from a package (a key, a prompt) cut to limit characters for a message."""
    text = printable(str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_root(path: Path) -> str:
    """How a package's path is shown: relative to the courses folder's parent when inside it, else as given."""
    if path.is_absolute():
        courses_dir = config("COURSES_DIR", None)
        if courses_dir:
            try:
                folder = path.parent.resolve() / path.name  # a package folder that is a symlink stays itself
                return printable(folder.relative_to(Path(courses_dir).resolve().parent).as_posix())
            except (ValueError, OSError):
                pass
    return printable(path.as_posix())


class Reporter:
    """Collects the problems of one package, with paths shown under the package's display root."""

    def __init__(self, root: Path):
        self.root = display_root(root)
        self._problems: list[Problem] = []
        self._counts: Counter[str] = Counter()
        self._left_out: dict[str, str] = {}  # path -> "error" or "warning": the worst problem not shown

    def path(self, relpath: str | None) -> str:
        return f"{self.root}/{printable(relpath)}" if relpath else self.root

    def accepts(self, relpath: str | None, severity: str = "warning") -> bool:
        """Whether another problem of this file would be shown; if not, remember that one was left out."""
        path = self.path(relpath)
        if self._counts[path] < MAX_PROBLEMS_PER_FILE:
            return True
        if self._left_out.get(path) != "error":
            self._left_out[path] = severity
        return False

    def _add(self, relpath: str | None, line: int | None, code: str, message: str, severity: str) -> None:
        if not self.accepts(relpath, severity):
            return
        path = self.path(relpath)
        self._counts[path] += 1
        message = printable(str(message))
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        self._problems.append(Problem(path, max(1, line or 1), code, message, severity))

    def error(self, relpath: str | None, line: int | None, code: str, message: str) -> None:
        self._add(relpath, line, code, message, "error")

    def warning(self, relpath: str | None, line: int | None, code: str, message: str) -> None:
        self._add(relpath, line, code, message, "warning")

    @property
    def problems(self) -> list[Problem]:
        """Every problem shown, then one line per file whose further problems were left out."""
        left_out = [
            Problem(path, 1, "E191" if severity == "error" else "W191",
                    _("more problems in this file are not shown (at most %(n)d per file): fix these and check again",
                      n=MAX_PROBLEMS_PER_FILE), severity)
            for path, severity in self._left_out.items()
        ]
        return self._problems + left_out

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self._problems) or "error" in self._left_out.values()
