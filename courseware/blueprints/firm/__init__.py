"""The firm blueprint."""
from flask import Blueprint

bp = Blueprint("firm", __name__)

from . import views  # noqa: E402,F401
