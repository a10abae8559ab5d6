"""The api blueprint (/api/v1): JSON for machines. Errors are JSON too (blueprints/errors.py).

Public: /certificates/<code> (views.py) and the OpenAPI description (openapi.py). Token-protected: /reports/...
(reports.py, authenticated by auth.token_required).
"""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import openapi, reports, views  # noqa: E402,F401
