"""The admin blueprint."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import api_tokens, mail, providers, views  # noqa: E402,F401
