"""/api/v1/reports/...: the funders' reports as JSON, for programs holding an API token (scope reports:read).

To add an endpoint: a view here with
`@token_required(READ)` that passes `g.api_principal` to the service as the actor, and its path and response
schema in openapi.py (tests/test_api_openapi.py then validates the document and fuzzes the new operation).
"""
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from ...errors import InvalidInput
from ...services import dma_reports, register, reports
from ...web.inputs import MAX_PAGE
from . import bp
from .auth import token_required

READ = "reports:read"
DEFAULT_PER_PAGE = 50


def _int_arg(name: str, default: int, most: int) -> int:
    """A positive whole number from the query string, at most `most`; InvalidInput (400) otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= most):
        raise InvalidInput(_("%(name)s must be a whole number from 1 to %(most)d.", name=name, most=most), field=name)
    return int(raw)


def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/reports/register")
@token_required(READ)
def register_list():
    filters = register.RegisterFilters.from_args(request.args)
    page_number = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, register.MAX_PER_PAGE)
    page = register.list_register(g.api_principal, filters, page=page_number, per_page=per_page)

    def link(number):
        if number is None:
            return None
        return url_for(".register_list", page=number, per_page=per_page, _external=True, **filters.as_args())

    return _private(jsonify({
        "items": [entry.as_json() for entry in page.items], "page": page.page, "per_page": page.per_page,
        "total": page.total, "pages": page.pages, "next": link(page.next_num), "previous": link(page.prev_num),
    }))


@bp.route("/reports/register/<orgnr>")
@token_required(READ)
def register_firm(orgnr):
    return _private(jsonify(register.look_up_firm(g.api_principal, orgnr).as_json()))


@bp.route("/reports/summary")
@token_required(READ)
def summary():
    """The funder dashboard (/reports/) as JSON, for the same filters: the whole programme, small counts hidden."""
    filters = reports.ReportFilters.from_args(request.args)
    return _private(jsonify(reports.dashboard(reports.ReportScope(), filters).as_json()))


@bp.route("/reports/maturity")
@token_required(READ)
def maturity():
    """Digital maturity: the average change per dimension by breakdown, for the dashboard's filters; groups of
    fewer firms than the threshold give "<5" and null averages."""
    filters = reports.ReportFilters.from_args(request.args)
    return _private(jsonify(dma_reports.maturity_report(reports.ReportScope(), filters, "en").as_json()))
