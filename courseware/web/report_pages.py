"""The dashboard page and its CSV and XLSX exports, shared by /reports/ (funders) and /studio/reports (providers): the scope
decides what they see, everything else is the same."""
from flask import Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from ..errors import InvalidInput, NotFound
from ..services import dma_reports, reports
from .downloads import csv_download, xlsx_download


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
                           export_endpoint=export_endpoint,
                           maturity=dma_reports.maturity_report(scope, filters, str(get_locale() or "nb"),
                                                                board.courses))


def export_table(scope, table: str, kind: str = "csv") -> Response:
    """One of the dashboard's tables as CSV for Excel or as XLSX, with exactly the figures the page shows."""
    filters = reports.ReportFilters.from_args(request.args)
    if table.startswith("maturity-"):
        return _export_maturity(scope, filters, table.removeprefix("maturity-"), kind)
    board = reports.dashboard(scope, filters)
    found = next((t for t in board.tables if t.key == table), None)
    if found is None:
        raise NotFound(_("There is no such table."))
    header, rows = found.csv()
    if kind == "xlsx":
        return xlsx_download(header, rows, filename=f"report-{found.key}.xlsx", sheet_title=str(found.title))
    return csv_download(header, rows, filename=f"report-{found.key}.csv")


def _export_maturity(scope, filters, table: str, kind: str) -> Response:
    """A digital maturity table of the dashboard (average change per dimension) as CSV or XLSX."""
    report = dma_reports.maturity_report(scope, filters, str(get_locale() or "nb"))
    found = report.table(table)
    if found is None:
        raise NotFound(_("There is no such table."))
    header, rows = found.csv(report.dimensions)
    name = f"maturity-{found.key}"
    if kind == "xlsx":
        return xlsx_download(header, rows, filename=f"{name}.xlsx", sheet_title=str(found.title))
    return csv_download(header, rows, filename=f"{name}.csv")
