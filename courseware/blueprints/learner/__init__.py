"""The learner's own pages: "Mine kurs", progress actions (views.py) and the account (account.py)."""
from flask import Blueprint

bp = Blueprint("learner", __name__)

from . import account, certificates, security, views, workshop  # noqa: E402,F401
