"""/reports/: the funder dashboard."""
from flask import render_template
from flask_login import current_user, login_required

from ...services.reports_access import require_funder
from . import bp


@bp.route("/")
@login_required
def index():
    require_funder(current_user)
    return render_template("reports/index.html")
