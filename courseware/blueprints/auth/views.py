"""Views of this blueprint (placeholders until built)."""
from flask import abort

from . import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(404)


@bp.route("/register", methods=["GET", "POST"])
def register():
    abort(404)


@bp.route("/logout", methods=["POST"])
def logout():
    abort(404)
