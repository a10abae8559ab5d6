"""Views of this blueprint."""
from . import bp  # noqa: F401


@bp.route("/")
def index():  # placeholder until this blueprint is built
    from flask import abort

    abort(404)
