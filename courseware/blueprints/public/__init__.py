"""The public blueprint."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import providers, views  # noqa: E402,F401
