"""Studio pages: packages (issue 11)."""
from . import bp  # noqa: F401
