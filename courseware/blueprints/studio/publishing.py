"""Studio pages: publishing (issue 11)."""
from . import bp  # noqa: F401
