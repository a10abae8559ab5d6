"""/reports/: the funder dashboard, with a CSV export of each table (the same figures the page shows)."""
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...services.reports import funder_scope
from ...web.report_pages import export_table, render_dashboard
from . import bp


@bp.route("/")
@login_required
def index():
    return render_dashboard(funder_scope(current_user), "reports.index", "reports.export", _("Reports"))


@bp.route("/export/<table>.<any(csv, xlsx):kind>")
@login_required
def export(table, kind):
    return export_table(funder_scope(current_user), table, kind)
