"""Admin pages: providers and their staff (issue 11)."""
from . import bp  # noqa: F401
