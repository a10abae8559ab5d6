"""Property-based fuzzing of every route: hostile values in every path argument, query parameter and form field,
as every persona, and never a 5xx.

Routes come from the URL map and their fields from the pages themselves (every form and link the app renders for
each persona), so a new route or field is fuzzed without a change here. The values are what broke the app before:
NUL characters, numbers past 64 bits and in Unicode digits, control characters and line breaks, very long text,
unpaired surrogates (sent as the raw bytes a client could send), CSV files in every odd shape and formulas.

Runs in the whole suite with a few examples per route (derandomized, so CI is repeatable); for a longer, random
run: COURSEWARE_FUZZ_EXAMPLES=200 python -m pytest tests/test_fuzz_routes.py. Marked `fuzz`; CI runs it on SQLite
and on PostgreSQL with the rest of the suite.
"""
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from courseware.services import quiz

from .conftest import TEST_PASSWORD
from .world import FREE_ORGNR, PERSONAS, build_world, log_in, persona_for

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("COURSEWARE_FUZZ_EXAMPLES") or 6)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize="COURSEWARE_FUZZ_EXAMPLES" not in os.environ,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def app_config():
    # The fuzzer logs in and registers far more often than the login rate limit allows a person.
    return {"LOGIN_RATE_LIMIT": "100000 per minute"}


# --- Hostile values ----------------------------------------------------------------------------------------------

NUMBERS = ["0", "-1", "1", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
           "99999999999999999999999999", "1" * 5000, "١٢٣", "１２３", "²", "1e309", "NaN", "-0", "0x10", "1_000",
           " 7 ", "+3", "٣"]
TEXTS = ["", " ", "\x00", "a\x00b", "Ola\r\nBcc: x@example.no", "\r", "\n", "\t", "\x1b[31m", "\u202eon.elpmaxe",
         "\u2028", "\ufeff", "\ud800", "x\udfffy", "=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "%", "_",
         "\\", "'; DROP TABLE users; --", "<script>alert(1)</script>", "../../etc/passwd", "javascript:alert(1)",
         "//evil.example", "a" * 250, "ø" * 2000, "%" * 30000, "x" * 60000, "Ɑ" * 26000, "🙂" * 300]
CSV_FILES = [
    b"", b"\x00" * 10, "Navn;E-post;Orgnr\r\nKari;kari@example.no;817920632".encode(),
    b"Navn;E-post;Orgnr\rKari;kari@example.no;817920632\rOla;ola@example.no;817920632\r",
    "\ufeffNavn;E-post;Orgnr\nÅse;ase@example.no;817920632\n".encode("utf-16"),
    "Navn\tE-post\tOrgnr\r\nÅse\tase@example.no\t817920632\r\n".encode("utf-16-le"),
    b'Kari;"kari@example.no;817920632\nOla;ola@example.no;817920632\n',
    b"Kari;" + b"x" * 200_000 + b";817920632\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00\x06\x00", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    b"=cmd|' /C calc'!A0;=1+1@x.no;817920632\n", b"Ola\x00Nordmann;ola@example.no;817920632\n",
    "Ola\u2028Nordmann;ola@example.no;817920632\n".encode(), b"\xff\xfe\x00", b"\xfe\xff\x00K\x00a",
    b"a,b,c\n" * 2500, b";;;\n,,,\n\n\n",
]
# One value of each kind that has broken a route, tried in every slot of every route on every run (the explicit
# examples); the generated ones vary around them.
KILLERS = {
    "path": ["99999999999999999999", "2147483648", "١٢٣", "a\x00b", "x" * 2000],
    "query": ["99999999999999999999", "١٢٣", "²", "a\x00b", "Ola\r\nNordmann", "%_" * 30000],
    "form": ["99999999999999999999", "١٢٣", "a\x00b", "Ola\r\nNordmann", "%_" * 30000, "x\ud800"],
}
FILE_NAMES = ["liste.csv", "", "a\x00b.csv", "../../etc/passwd", "ø" * 300 + ".csv", "x\r\ny.csv", "\ud800.csv"]


def _bytes(value: str) -> bytes:
    """What a client sends for `value`: UTF-8, and a surrogate as the bytes a careless encoder would produce."""
    return value.encode("utf-8", "surrogatepass")


def _csvish():
    cell = st.one_of(st.sampled_from(TEXTS[:26] + NUMBERS[:12]), st.text(max_size=12))
    row = st.lists(cell, min_size=1, max_size=4).map(";".join)
    return st.lists(row, max_size=5).map(lambda rows: st_join(rows))


def st_join(rows):
    return "\r\n".join(rows) if len(rows) % 2 else "\n".join(rows)


HOSTILE = st.sampled_from(NUMBERS + TEXTS)
VALUE = st.one_of(
    HOSTILE,  # the curated values as often as all the generated ones: they are what broke the app before
    HOSTILE,
    HOSTILE,
    HOSTILE,
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(max_size=40),  # any code point, control characters and surrogates included
    st.text(max_size=8).map(lambda s: s + "\x00" + s),
    _csvish(),
)
FILE = st.tuples(st.one_of(st.sampled_from(CSV_FILES), st.binary(max_size=300), _csvish().map(_bytes)),
                 st.sampled_from(FILE_NAMES))


# --- What the app offers: routes, forms and query parameters ------------------------------------------------------

@dataclass
class Target:
    endpoint: str
    rule: object
    method: str
    fields: dict = field(default_factory=dict)  # name -> "file" or "text"
    query: set = field(default_factory=set)
    valid: dict = field(default_factory=dict)  # name -> a value the page offers (pre-filled or first choice)


class _Forms(HTMLParser):
    """The forms (action, method, fields with the values the page offers) and the query parameters of its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").upper(),
                               "fields": {}, "valid": {}})
        elif tag in ("input", "select", "textarea", "button") and a.get("name") and self.forms:
            form, name = self.forms[-1], a["name"]
            form["fields"][name] = "file" if a.get("type") == "file" else "text"
            if a.get("value") and a.get("type") != "file":
                form["valid"].setdefault(name, a["value"])
            self.select = name if tag == "select" else None
        elif tag == "option" and self.select and a.get("value") and self.forms:
            self.forms[-1]["valid"].setdefault(self.select, a["value"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None

    handle_startendtag = handle_starttag


# Query parameters tried on every route besides those its links and forms carry.
KNOWN_QUERY = {"page", "next"}


def discover(app, client, world) -> list[Target]:
    """Every rule with the fields its forms have and the query parameters its links carry, as any persona sees them."""
    adapter = app.url_map.bind("localhost")
    targets: dict[tuple, Target] = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            targets[(rule.rule, method)] = Target(rule.endpoint, rule, method, query=set(KNOWN_QUERY))
    pages = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"]
    for persona in PERSONAS:
        for rule in pages:
            log_in(client, world.users[persona])
            url = world.url(rule)
            response = client.get(url)
            response.close()  # static files are streamed from an open file
            if not response.mimetype == "text/html":
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                path = urlsplit(form["action"] or url).path
                _add(adapter, targets, path, form["method"], form["fields"], form["fields"] if form["method"] == "GET"
                     else {}, form["valid"])
            for href in parser.links:
                parts = urlsplit(href)
                if not parts.netloc and parts.query:
                    names = {pair.split("=", 1)[0] for pair in parts.query.split("&")}
                    _add(adapter, targets, parts.path, "GET", {}, dict.fromkeys(names, "text"))
    return list(targets.values())


def _add(adapter, targets, path, method, fields, query, valid=None) -> None:
    try:
        rule, _args = adapter.match(path, method=method, return_rule=True)
    except HTTPException:
        return
    target = targets.get((rule.rule, method))
    if target is not None:
        target.fields.update(fields if method == "POST" else {})
        target.query.update(query)
        for name, value in (valid or {}).items():
            target.valid.setdefault(name, value)


# --- The fuzzing -------------------------------------------------------------------------------------------------

DESTRUCTIVE = {"firm.leave", "learner.withdraw", "learner.delete", "auth.logout", "learner.end_other_sessions"}


def _ordered(targets: list[Target]) -> list[Target]:
    """Routes that take something away from a persona (leave the firm, log out) go last."""
    return sorted(targets, key=lambda t: (t.endpoint in DESTRUCTIVE, t.endpoint, t.rule.rule, t.method))


def _hostile_path(rule, world, values: dict) -> str:
    """The rule's URL with `values` (hostile) in place of some arguments and real ones in the others."""
    real = world.args(rule)
    url = ""
    for dynamic, name in rule._trace:  # werkzeug's parsed rule: (is an argument, text or argument name)
        if not dynamic:
            url += name
            continue
        value = values[name] if name in values else str(real[name])
        url += quote(_bytes(value), safe="/" if rule._converters[name].__class__.__name__ == "PathConverter" else "")
    return url.split("|", 1)[1]


def _request(client, target: Target, url: str, query: dict, form: dict):
    query_string = urlencode([(k, _bytes(v)) for k, v in query.items()])
    if target.method == "GET":
        return client.get(url, query_string=query_string)
    if any(kind == "file" for kind in target.fields.values()):
        data = {}
        for name, value in form.items():
            if isinstance(value, tuple):
                content, filename = value
                data[name] = (BytesIO(content), _bytes(filename).decode("utf-8", "replace"))
            else:
                data[name] = _bytes(value).decode("utf-8", "replace")
        return client.post(url, query_string=query_string, data=data, content_type="multipart/form-data")
    body = urlencode([(k, _bytes(v)) for k, v in form.items()])
    return client.post(url, query_string=query_string, data=body, content_type="application/x-www-form-urlencoded")


def _valid_values(world, target: Target, n: int) -> dict:
    """A valid value for each field: what the page offered, else a plausible one (a fresh address each time)."""
    learner = str(world.users["learner"].id)
    plausible = {
        "name": "Ola Nordmann", "email": f"fuzz{n}@example.no", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD,
        "current": TEST_PASSWORD, "orgnr": FREE_ORGNR, "emails": f"kollega{n}@example.no", "course": world.course_slug,
        "other_municipality": "5001", "user_id": learner, "users": learner, "token": quiz.new_token(), "lang": "nb",
        "next": "/", "file": (CSV_FILES[2], "liste.csv"),
    }
    return {name: target.valid.get(name, plausible.get(name, "")) for name in target.fields}


def _slots(target: Target) -> list[tuple[str, str]]:
    """Every place a hostile value can go: ("path", argument), ("query", parameter), ("form", field)."""
    return ([("path", name) for name in sorted(target.rule.arguments)]
            + [("query", name) for name in sorted(target.query)]
            + [("form", name) for name in sorted(target.fields)])


def _fuzz(client, world, target: Target) -> None:
    """Examples put one hostile value (sometimes two or three) in a route whose other fields are valid, so each
    value gets past the form's other checks to the service and the database."""
    slots = _slots(target)
    if not slots:
        return
    counter = iter(range(10**9))
    hostile = st.sampled_from(slots).flatmap(
        lambda slot: st.tuples(st.just(slot), FILE if target.fields.get(slot[1]) == "file" else VALUE))

    own = persona_for(target.endpoint)

    @FUZZ
    @given(
        persona=st.one_of(st.just(own), st.sampled_from(PERSONAS)),
        values=st.lists(hostile, min_size=1, max_size=3),
    )
    def run(persona, values):
        log_in(client, world.users[persona])
        chosen = {"path": {}, "query": {}, "form": _valid_values(world, target, next(counter))}
        for (kind, name), value in values:
            chosen[kind][name] = value
        url = _hostile_path(target.rule, world, chosen["path"])
        response = _request(client, target, url, chosen["query"], chosen["form"])
        response.close()
        where = f"{target.method} {url} ?{_short(chosen['query'])} {_short(chosen['form'])} as {persona}"
        assert response.status_code < 500, f"{response.status_code} for {where}"

    for slot in slots:
        if target.fields.get(slot[1]) == "file":
            killers = [(content, "liste.csv") for content in CSV_FILES] + [(CSV_FILES[2], "a\x00b.csv")]
        else:
            killers = KILLERS[slot[0]]
        for killer in killers:
            run = example(persona=own, values=[(slot, killer)])(run)
    run()


def _short(values: dict) -> str:
    return "{" + ", ".join(f"{k}={str(v)[:60]!r}" for k, v in values.items()) + "}"


def test_the_fuzzer_knows_every_route_and_form(app, client, make_user):
    """Discovery finds the forms of the main pages, so a form added anywhere is fuzzed with its fields."""
    world = build_world(make_user)
    by_endpoint = {}
    for target in discover(app, client, world):
        by_endpoint.setdefault((target.endpoint, target.method), target)
    assert {"name", "email", "password", "confirm"} <= set(by_endpoint["auth.register", "POST"].fields)
    assert by_endpoint["studio.bulk_upload", "POST"].fields.get("file") == "file"
    assert {"token", "q0", "q1"} <= set(by_endpoint["learner.submit_quiz", "POST"].fields)
    assert {"name", "municipality", "size_band"} <= set(by_endpoint["firm.edit", "POST"].fields)
    assert {"q", "role", "page"} <= by_endpoint["admin.users", "GET"].query
    posts = {endpoint for endpoint, method in by_endpoint if method == "POST"}
    assert posts == {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_no_route_answers_5xx_to_hostile_input(app, client, make_user):
    world = build_world(make_user)
    targets = _ordered(discover(app, client, world))
    assert len(targets) >= 40
    for target in targets:
        _fuzz(client, world, target)


def test_hostile_path_urls_are_built_as_given(app, make_user):
    world = build_world(make_user)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "studio.bulk_preview")
    assert _hostile_path(rule, world, {"upload_id": "١٢٣"}) == f"/studio/courses/kurs/bulk/{quote('١٢٣')}"
    assert re.fullmatch(r"/studio/courses/a%00b/bulk/\d+", _hostile_path(rule, world, {"slug": "a\x00b"}))
    target = Target("studio.bulk_preview", rule, "GET", query={"page"}, fields={"file": "file"})
    assert _slots(target) == [("path", "slug"), ("path", "upload_id"), ("query", "page"), ("form", "file")]
