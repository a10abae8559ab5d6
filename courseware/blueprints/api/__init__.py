"""The api blueprint (/api/v1): public JSON for machines. Errors are JSON too (blueprints/errors.py)."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import views  # noqa: E402,F401
