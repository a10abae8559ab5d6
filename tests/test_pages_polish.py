"""Pages every user meets: error pages and login prompts in Norwegian, one date format, the accessibility
statement, and the layout rules that keep pages usable on a phone (checked in the browser tests as well)."""
from datetime import datetime, timezone

import pytest
from flask import render_template_string

from courseware.blueprints.errors import TITLES


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "nb"}  # the product's default: these tests are about Norwegian pages


def test_error_pages_are_in_norwegian(client):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "Vi fant ikke siden" in html and "We could not find the page" not in html


@pytest.mark.parametrize("status", sorted(TITLES))
def test_every_error_title_is_translated(app, status):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("nb"):
        assert str(TITLES[status]) != TITLES[status]._args[0]


def test_login_prompt_is_in_norwegian(client):
    response = client.get("/me/courses", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Logg inn for å se denne siden." in html and "Log in to see this page." not in html


def test_login_prompt_follows_the_chosen_language(client):
    client.post("/language", data={"lang": "en"})
    html = client.get("/me/courses", follow_redirects=True).get_data(as_text=True)
    assert "Log in to see this page." in html


def test_dates_read_one_way(app):
    moment = datetime(2026, 12, 3, 15, 5, tzinfo=timezone.utc)  # 16:05 in Oslo
    with app.test_request_context():
        out = render_template_string("{{ d|dateformat }}|{{ d|datetimeformat }}", d=moment)
    date_part, datetime_part = out.split("|")
    assert date_part == "3. des. 2026"
    assert datetime_part == "3. des. 2026 kl. 16:05"


def test_no_template_asks_for_another_date_format():
    """The house filters take no format argument; a template that passes one would fail when rendered."""
    from pathlib import Path
    import re

    root = Path(__file__).resolve().parent.parent / "courseware" / "templates"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.*")
                 if re.search(r"\|\s*(date|datetime|time)format\s*\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_accessibility_statement_is_linked_from_every_page(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/accessibility"' in html
    page = client.get("/accessibility")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Tilgjengelighetserklæring" in text and "WCAG 2.2" in text and "uutilsynet.no" in text


@pytest.mark.parametrize("app_config", [{"BABEL_DEFAULT_LOCALE": "en", "ACCESSIBILITY_CONTACT": "uu@example.no"}])
def test_accessibility_statement_names_the_contact(client):
    text = client.get("/accessibility").get_data(as_text=True)
    assert "write to uu@example.no" in text
