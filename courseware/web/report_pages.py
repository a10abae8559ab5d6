"""The dashboard page and its CSV exports, shared by /reports/ (funders) and /studio/reports (providers): the scope
decides what they see, everything else is the same."""
from flask import Response, render_template, request
from flask_babel import gettext as _

from ..errors import InvalidInput, NotFound
from ..services import reports
from ..services.spreadsheet import csv_for_excel


def render_dashboard(scope, endpoint: str, export_endpoint: str, title: str):
    """The dashboard for the filters in the URL; a bad filter answers 400 with the form and the message."""
    try:
        filters = reports.ReportFilters.from_args(request.args)
        board = reports.dashboard(scope, filters)
    except InvalidInput as error:
        options = reports.filter_options(scope)
        return render_template("reports/dashboard.html", board=None, error=error, field=error.details.get("field"),
                               args=request.args, options=options, endpoint=endpoint, title=title,
                               export_endpoint=export_endpoint), 400
    return render_template("reports/dashboard.html", board=board, error=None, field=None, args=filters.to_args(),
                           options=reports.filter_options(scope, board.courses), endpoint=endpoint, title=title,
                           export_endpoint=export_endpoint)


def export_table(scope, table: str) -> Response:
    """One of the dashboard's tables as CSV for Excel, with exactly the figures the page shows."""
    filters = reports.ReportFilters.from_args(request.args)
    board = reports.dashboard(scope, filters)
    found = next((t for t in board.tables if t.key == table), None)
    if found is None:
        raise NotFound(_("There is no such table."))
    header, rows = found.csv()
    return Response(csv_for_excel(header, rows), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="report-{found.key}.csv"',
        "Cache-Control": "no-store",
    })
