"""The funders' blueprint (/reports): what the programme achieved, for the funder and admin roles."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import register, views  # noqa: E402,F401
