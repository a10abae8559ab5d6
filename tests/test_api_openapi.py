"""The OpenAPI 3.1 description at /api/v1/openapi.json: it validates, it names every /api/v1 route, and the API
answers every operation as it says (schemathesis, with a valid token): no 5xx, every response matches its schema.

The fuzzing is derandomized with a modest number of examples per operation, so it is quick and repeatable in CI;
COURSEWARE_FUZZ_EXAMPLES=200 runs it longer (and random).
"""
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from courseware.blueprints.api.openapi import DOCUMENT
from courseware.extensions import db
from courseware.services import api_tokens

from .register_support import build_register

pytestmark = pytest.mark.fuzz

CHECKSUMMED = {"getCertificate", "getRegisterFirm"}
# The summary's filters are months, numbers and codes whose valid values (a real month, a known municipality)
# JSON Schema does not say either; a bad one is a 400 with a message, as on the dashboard.
CHECKED_VALUES = CHECKSUMMED | {"getReportSummary", "getMaturityReport"}
EXAMPLES = int(os.environ.get("COURSEWARE_FUZZ_EXAMPLES") or 25)


@pytest.fixture
def app_config():
    # The public certificate look-up is rate-limited per address; the fuzzer is one address asking many times.
    return {"CERTIFICATE_LOOKUP_RATE_LIMIT": "100000 per minute"}


def test_the_document_validates(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    validate(response.json)  # OpenAPI 3.1, JSON Schema 2020-12
    assert response.json == DOCUMENT


def test_every_api_route_is_described(app, client):
    document = client.get("/api/v1/openapi.json").json
    base = document["servers"][0]["url"]
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len(base):]
              for rule in app.url_map.iter_rules() if rule.rule.startswith(base + "/")}
    assert routes == set(document["paths"])
    for path, operations in document["paths"].items():
        for method in operations:
            rule = next(r for r in app.url_map.iter_rules()
                        if re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) == base + path)
            assert method.upper() in rule.methods, path


@pytest.fixture
def api_token(app, make_user):
    build_register(make_user)
    _token, secret = api_tokens.create_token(make_user("admin"), name="Fuzz", scopes=["reports:read"])
    db.session.commit()
    return secret


# The document is a plain dict in the package (blueprints/api/openapi.py); test_the_document_validates checks that
# the app serves exactly it. Loaded at import, so the operations are the test's parameters; each call goes to the
# test's own app (its own database) as a WSGI app.
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize="COURSEWARE_FUZZ_EXAMPLES" not in os.environ,
          phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
def test_api_answers_as_described(case, app, api_token):
    # An orgnr's MOD11 check digit and a certificate code's check symbol cannot be said in JSON Schema, so a
    # schema-valid identifier may rightly be refused (400 "mistyped"): positive_data_acceptance does not apply to
    # the operations that take one. negative_data_rejection does not apply anywhere: unknown query parameters and
    # headers are ignored by design (as on the web pages), and the token sent with every case undoes its "no
    # credentials" mutations (test_api_tokens.py tests those refusals); malformed values of known parameters are
    # refused with 400 (test_api_tokens.py). Every other check (no 5xx, status codes, content types, response
    # schemas and headers, undeclared methods, authentication) runs on every case, negative ones included.
    excluded = [negative_data_rejection]
    if case.operation.definition.raw.get("operationId") in CHECKED_VALUES:
        excluded.append(positive_data_acceptance)
    case.operation.schema.app = app  # this test's app: its own database (the schema's WSGI transport uses it)
    case.call_and_validate(app=app, base_url="http://localhost/api/v1", excluded_checks=excluded,
                           headers={"Authorization": f"Bearer {api_token}"})


def test_a_wrong_method_says_which_are_allowed(client):
    """Regression (found by schemathesis): the JSON 405 lost Werkzeug's Allow header (RFC 9110)."""
    response = client.post("/api/v1/reports/register")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]
