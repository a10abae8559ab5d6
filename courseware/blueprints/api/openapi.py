"""/api/v1/openapi.json: the OpenAPI 3.1 description of every /api/v1 endpoint.

Hand-written as a plain dict rather than generated (flask-smorest, apispec, ...): the API is a handful of GET
endpoints whose JSON is built by `as_json()` methods, not by schema classes a generator could read, and a generator
would add a dependency and a second way of writing views for little gain. The document is checked instead:
tests/test_api_openapi.py validates it (openapi-spec-validator) and fuzzes every operation with schemathesis, so
a response that drifts from its schema, or a route missing here, fails the tests.

To add an endpoint: add its path under PATHS (parameters, responses with a schema under SCHEMAS, and
`"security": BEARER` when it needs a token), then the view (see reports.py).
"""
from flask import jsonify

from ...services.register import MAX_PER_PAGE
from . import bp

BEARER = [{"bearerAuth": []}]
PUBLIC: list = []


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


_CHALLENGE = {"WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750)", "schema": {"type": "string"}}}
ERRORS = {
    "BadRequest": _json(_ref("Error"), "The request is malformed (a parameter out of range, a mistyped number)."),
    "Unauthorized": _json(_ref("Error"), "The token is missing, unknown, revoked or expired.", _CHALLENGE),
    "Forbidden": _json(_ref("Error"), "The token does not have the scope this operation needs.", _CHALLENGE),
    "NotFound": _json(_ref("Error"), "Nothing has this identifier."),
    "TooManyRequests": _json(_ref("Error"), "Too many look-ups from this address; wait a minute."),
}


def _error(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
# A count of people: a number, or "<5" when it is below the reporting threshold (REPORTS_MIN_COUNT).
PEOPLE = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^<[0-9]+$"}],
          "description": "A count of people; below the threshold (5) it is the string \"<5\"."}

_REPORT_VALUE = {"oneOf": [{"type": "number"}, {"type": "string"}]}  # a count, or "<5" when hidden
_REPORT_ROW = {"type": "object", "required": ["key", "label"],
               "properties": {"key": {"type": ["string", "integer"]}, "label": {"type": "string"}},
               "additionalProperties": _REPORT_VALUE}

_MATURITY_AVERAGES = {"type": "object", "additionalProperties": {"type": ["number", "null"]},
                      "description": "Average change per dimension key (and \"overall\"); null when hidden."}
_MATURITY_ROW = {"type": "object", "required": ["key", "label", "firms", "averages"],
                 "properties": {"key": {"type": "string"}, "label": {"type": "string"},
                                "firms": {"anyOf": [{"type": "integer", "minimum": 0},
                                                    {"type": "string", "pattern": "^<[0-9]+$"}]},
                                "averages": _MATURITY_AVERAGES}}

SCHEMAS = {
    "MaturityReport": {
        "type": "object", "required": ["filters", "minimum_count", "dimensions", "pairs", "tables"],
        "properties": {
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "minimum_count": {"type": "integer"},
            "dimensions": {"type": "array", "items": {
                "type": "object", "required": ["key", "title"],
                "properties": {"key": {"type": "string"}, "title": {"type": "string"}}},
                "description": "The dimensions' keys and names, in order; \"overall\" last."},
            "pairs": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^<[0-9]+$"}],
                      "description": "Firms with an assessment before and a follow-up after in the selection."},
            "tables": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["title", "rows", "total"],
                "properties": {"title": {"type": "string"}, "rows": {"type": "array", "items": _MATURITY_ROW},
                               "total": _MATURITY_ROW}}},
        },
    },
    "ReportSummary": {
        "type": "object", "required": ["filters", "minimum_count", "totals", "tables"],
        "properties": {
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "minimum_count": {"type": "integer"},
            "totals": _REPORT_ROW,
            "tables": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["title", "rows", "total"],
                "properties": {"title": {"type": "string"}, "rows": {"type": "array", "items": _REPORT_ROW},
                               "total": _REPORT_ROW}}},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "A short title of the problem, in the server's language."},
            "message": {"type": "string", "description": "What went wrong and what to do (may be empty)."},
            "reason": {"type": "string", "description": "A word a program can act on, e.g. \"mistyped\", "
                                                        "\"invalid_token\", \"insufficient_scope\"."},
        },
    },
    "Certificate": {
        "type": "object",
        "required": ["code", "url", "kind", "status", "name", "course", "stage", "provider", "issued_on",
                     "valid_until", "revoked_on", "revocation_reason"],
        "properties": {
            "code": {"type": "string", "examples": ["K7QM-4XPT-9"]},
            "url": {"type": "string", "format": "uri"},
            "kind": {"type": "string", "enum": ["personal", "firm"]},
            "status": {"type": "string", "enum": ["valid", "expired", "revoked"]},
            "name": NULLABLE_STRING,
            "course": {"type": "string"},
            "stage": {"type": "integer"},
            "provider": {"type": "string"},
            "issued_on": {"type": "string", "format": "date"},
            "valid_until": NULLABLE_DATE,
            "revoked_on": NULLABLE_DATE,
            "revocation_reason": NULLABLE_STRING,
            "orgnr": {"type": "string", "pattern": "^[0-9]{9}$", "description": "Firm certificates only."},
            "completed_by": {"type": "integer", "minimum": 0, "description": "Firm certificates only."},
            "employees": {"type": "array", "items": {"type": "string"},
                          "description": "Firm certificates only: the employees who agreed to be named."},
        },
    },
    "RegisterCourse": {
        "type": "object",
        "required": ["slug", "title", "stage", "provider", "first_completed_at", "people", "firm_certificate"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "stage": {"type": "integer"},
            "provider": {"type": "string"},
            "first_completed_at": {"type": "string", "format": "date-time"},
            "people": PEOPLE,
            "firm_certificate": {
                "oneOf": [
                    {"type": "null"},
                    {"type": "object", "required": ["code", "revoked"],
                     "properties": {"code": {"type": "string"}, "revoked": {"type": "boolean"}}},
                ],
            },
        },
    },
    "RegisterFirm": {
        "type": "object",
        "required": ["orgnr", "name", "municipality_code", "municipality", "industry_section", "industry",
                     "size_band", "verified", "people", "first_completed_at", "courses"],
        "properties": {
            "orgnr": {"type": "string", "pattern": "^[0-9]{9}$"},
            "name": {"type": "string"},
            "municipality_code": NULLABLE_STRING,
            "municipality": NULLABLE_STRING,
            "industry_section": NULLABLE_STRING,
            "industry": NULLABLE_STRING,
            "size_band": {"type": ["string", "null"], "enum": ["0-9", "10-49", "50-249", "250+", None]},
            "verified": {"type": "boolean", "description": "Whether the firm's contact person is verified."},
            "people": {**PEOPLE, "description": "Employees who completed at least one course."},
            "first_completed_at": {"type": ["string", "null"], "format": "date-time"},
            "courses": {"type": "array", "items": _ref("RegisterCourse")},
        },
    },
    "RegisterPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages", "next", "previous"],
        "properties": {
            "items": {"type": "array", "items": _ref("RegisterFirm")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
        },
    },
}

# Text in the address: anything but a NUL character, which every Courseware address refuses (web/inputs.py).
TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}

FILTERS = [
    {"name": "q", "in": "query", "description": "Part of the firm's name, or the start of its orgnr (the first "
                                               "100 characters count).",
     "schema": TEXT},
    {"name": "municipality", "in": "query", "description": "Municipality number, e.g. 5001 (empty: all).",
     "schema": {"type": "string", "pattern": "^([0-9]{4})?$"}},
    {"name": "industry", "in": "query", "description": "SN2007 section letter, A to U (empty: all).",
     "schema": {"type": "string", "pattern": "^([A-Ua-u])?$"}},
    {"name": "course", "in": "query", "description": "A course's slug: only its completions count (an unknown "
                                                    "slug selects nothing).",
     "schema": TEXT},
]

PATHS = {
    "/certificates/{code}": {
        "get": {
            "operationId": "getCertificate",
            "summary": "Verify a certificate by its code (public, rate-limited)",
            "security": PUBLIC,
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": TEXT,
                            "description": "The code as printed, e.g. K7QM-4XPT-9 (any case, dashes optional)."}],
            "responses": {
                "200": _json(_ref("Certificate"), "What the verification page shows."),
                "400": _error("BadRequest"),
                "404": _error("NotFound"),
                "429": _error("TooManyRequests"),
            },
        },
    },
    "/reports/register": {
        "get": {
            "operationId": "listRegister",
            "summary": "The completion register: firms whose people completed a course, by name",
            "security": BEARER,
            "parameters": [
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}},
                *FILTERS,
            ],
            "responses": {
                "200": _json(_ref("RegisterPage"), "One page of firms; `next` is the next page's URL."),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
            },
        },
    },
    "/reports/register/{orgnr}": {
        "get": {
            "operationId": "getRegisterFirm",
            "summary": "One firm's completions, by organisation number",
            "security": BEARER,
            "parameters": [{"name": "orgnr", "in": "path", "required": True, "schema": TEXT,
                            "description": "9 digits; spaces and the VAT form NO 942110464 MVA are accepted."}],
            "responses": {
                "200": _json(_ref("RegisterFirm"), "The firm and what its people completed."),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
            },
        },
    },
    "/reports/summary": {
        "get": {
            "operationId": "getReportSummary",
            "summary": "The funder dashboard: totals and every breakdown, for the filters given",
            "security": BEARER,
            "parameters": [{"name": name, "in": "query", "schema": TEXT, "description": text} for name, text in (
                ("start", "First month, YYYY-MM."), ("end", "Last month, YYYY-MM."),
                ("provider", "A provider's slug."), ("course", "A course's slug."), ("stage", "A stage number."),
                ("municipality", "A municipality number (4 digits)."), ("industry", "An SN2007 section letter."))],
            "responses": {
                "200": _json(_ref("ReportSummary"), "Counts of people below the minimum are \"<5\"."),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
            },
        },
    },
    "/reports/maturity": {
        "get": {
            "operationId": "getMaturityReport",
            "summary": "Digital maturity: the average change per dimension by provider, course, stage, "
                       "municipality, industry and size band",
            "security": BEARER,
            "parameters": [{"name": name, "in": "query", "schema": TEXT, "description": text} for name, text in (
                ("start", "First month (of the follow-up), YYYY-MM."), ("end", "Last month, YYYY-MM."),
                ("provider", "A provider's slug."), ("course", "A course's slug."), ("stage", "A stage number."),
                ("municipality", "A municipality number (4 digits)."), ("industry", "An SN2007 section letter."))],
            "responses": {
                "200": _json(_ref("MaturityReport"), "Groups of fewer firms than the minimum are \"<5\"."),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
            },
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This description",
            "security": PUBLIC,
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
        },
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Courseware API",
        "version": "1.0.0",
        "description": "Certificate verification (public) and the funders' reports (an API token from an "
                       "administrator, sent as `Authorization: Bearer <token>`). Counts of people below 5 are "
                       "given as \"<5\".",
    },
    "servers": [{"url": "/api/v1"}],
    "security": BEARER,
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": ERRORS,
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "An API token created under /admin/api-tokens."}},
    },
}


@bp.route("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
