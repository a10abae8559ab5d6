"""Studio pages: editor (issue 11)."""
from . import bp  # noqa: F401
