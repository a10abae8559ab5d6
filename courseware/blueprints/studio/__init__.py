"""The studio blueprint."""
from flask import Blueprint

bp = Blueprint("studio", __name__)

from . import certificates, editor, packages, publishing, views, workshop  # noqa: E402,F401
