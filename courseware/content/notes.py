"""Findings the renderer's extensions make while rendering (math that does not convert, image attributes dropped),
collected per rendering and turned into checker problems by media_check.py."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Note:
    """One finding: its checker `code`, a `kind` media_check.py has a message for, its details, and `needle`, a
    piece of the source to find its line by."""

    code: str
    kind: str
    needle: str
    params: dict = field(default_factory=dict)


_NOTES: contextvars.ContextVar[list[Note] | None] = contextvars.ContextVar("courseware_render_notes", default=None)


def note(code: str, kind: str, needle: str, **params) -> None:
    """Record a finding of the rendering under way (ignored outside one)."""
    found = _NOTES.get()
    if found is not None:
        found.append(Note(code, kind, needle, params))


@contextmanager
def collect():
    """Collect the notes made inside the block into the list it yields."""
    found: list[Note] = []
    reset = _NOTES.set(found)
    try:
        yield found
    finally:
        _NOTES.reset(reset)
