"""Views of this blueprint."""
from . import bp  # noqa: F401


@bp.route("/courses")
def my_courses():  # placeholder until this blueprint is built
    from flask import abort

    abort(404)


@bp.route("/profile")
def profile():  # placeholder until this blueprint is built
    from flask import abort

    abort(404)
