"""Views of this blueprint (being built)."""
from flask import abort

from . import bp


@bp.route("/")
def index():
    return "ok"


@bp.route("/privacy")
def privacy():
    abort(404)


@bp.route("/language", methods=["POST"])
def set_language():
    abort(404)
