"""The studio editor (issue 11): a new course, the draft home (settings, the module list: add, re-order, rename,
remove, keeping keys), the module editor, saves that never overwrite another author's work, autosave and the live
preview as JSON, and who may use each page. The text round trips are in test_studio_editor_text.py."""
import re
import tomllib

import pytest
from sqlalchemy import select

from courseware.content.package import split_front_matter
from courseware.extensions import db
from courseware.models import CourseDraft, DraftFile, Provider, StudioEvent
from courseware.services import course_text, drafts

MINIMAL_SLUG = "minimal"


@pytest.fixture
def course(import_course):
    return import_course("minimal")


@pytest.fixture
def author(make_user, course):
    return make_user("author", provider_id=course.provider_id, locale="en")


@pytest.fixture
def draft(author, course):
    item = drafts.open_draft(author, course.slug)
    db.session.commit()
    return item


def _file(slug, path) -> DraftFile:
    db.session.expire_all()
    found = db.session.execute(select(DraftFile).join(CourseDraft, CourseDraft.id == DraftFile.draft_id)
                               .where(CourseDraft.slug == slug, DraftFile.path == path)).scalar_one_or_none()
    return found


def _paths(slug) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.execute(select(DraftFile.path).join(CourseDraft, CourseDraft.id == DraftFile.draft_id)
                                     .where(CourseDraft.slug == slug)).scalars())


def _events(slug) -> list[str]:
    return list(db.session.execute(select(StudioEvent.action).where(StudioEvent.slug == slug)
                                   .order_by(StudioEvent.id)).scalars())


def _keys(slug) -> dict[str, str]:
    """file name -> module key of the draft's modules."""
    return {p[len("modules/"):]: course_text.module_key(p[len("modules/"):], _file(slug, p).text)
            for p in _paths(slug) if p.startswith("modules/")}


# --- a new course -----------------------------------------------------------------------------------------------

def _new_course_form(**overrides):
    data = {"slug": "nytt-kurs", "title": "Nytt kurs", "summary": "Om kurset.", "industry": "A", "stage": "1",
            "language": "nb", "audience": "firms", "estimated_minutes": "60", "pass_mark": "0.8",
            "show_answers": "after-pass", "attempts_per_day": "0", "certificate_enabled": "y",
            "signer_name": "Kari", "signer_title": "Leder", "valid_years": "0",
            "partners-0-name": "NIBIO", "partners-0-role": "Fagpartner", "partners-0-url": "https://www.nibio.no",
            "partners-1-name": "", "partners-1-role": "", "partners-1-url": ""}
    data.update(overrides)
    return data


def test_a_new_course_makes_a_draft_with_a_manifest_and_a_first_module(client, login, author, course):
    login(author)
    assert client.get("/studio/new").status_code == 200
    response = client.post("/studio/new", data=_new_course_form(requires=MINIMAL_SLUG))
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio/courses/nytt-kurs/edit")
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == "nytt-kurs")).scalar_one()
    assert draft.provider_id == course.provider_id and draft.course_id is None
    assert _paths("nytt-kurs") == ["course.toml", "modules/01-intro.md"]
    manifest = tomllib.loads(_file("nytt-kurs", "course.toml").text)
    provider = db.session.get(Provider, course.provider_id)
    assert manifest["provider"] == provider.slug and manifest["provider_name"] == provider.name
    assert manifest["requires"] == [MINIMAL_SLUG] and manifest["partners"] == [
        {"name": "NIBIO", "role": "Fagpartner", "url": "https://www.nibio.no"}]
    assert manifest["certificate"]["signer_name"] == "Kari" and manifest["estimated_minutes"] == 60
    assert split_front_matter(_file("nytt-kurs", "modules/01-intro.md").text).meta == {"title": "Introduction"}
    assert _events("nytt-kurs") == ["created"]
    assert client.get("/studio/courses/nytt-kurs/edit").status_code == 200
    assert not any(p.is_error for p in drafts.check(author, draft))  # a new course passes the checker


@pytest.mark.parametrize("slug", [MINIMAL_SLUG, "annen-draft", "Ugyldig slug", ""])
def test_a_new_course_is_refused_for_a_taken_or_invalid_slug(client, login, author, course, slug):
    db.session.add(CourseDraft(slug="annen-draft", provider_id=course.provider_id))
    db.session.commit()
    login(author)
    response = client.post("/studio/new", data=_new_course_form(slug=slug))
    assert response.status_code == 200
    assert 'id="slug-error"' in response.get_data(as_text=True)
    assert db.session.execute(select(CourseDraft.slug).order_by(CourseDraft.slug)).scalars().all() == ["annen-draft"]


def test_add_a_partner_posts_back_with_one_more_row(client, login, author):
    login(author)
    html = client.post("/studio/new", data={**_new_course_form(), "add_partner": "1"}).get_data(as_text=True)
    assert 'name="partners-2-name"' in html and 'value="NIBIO"' in html
    assert db.session.execute(select(CourseDraft)).first() is None


def test_an_admin_chooses_the_provider(client, login, make_user, course):
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    login(make_user("admin", locale="en"))
    assert 'name="provider_id"' in client.get("/studio/new").get_data(as_text=True)
    assert client.post("/studio/new", data=_new_course_form(provider_id=str(other.id))).status_code == 302
    assert tomllib.loads(_file("nytt-kurs", "course.toml").text)["provider"] == "annen-hage"


# --- the draft home: settings and the module list ---------------------------------------------------------------

def test_saving_the_settings_keeps_what_the_form_does_not_show(client, login, author, draft):
    manifest = _file(MINIMAL_SLUG, "course.toml")
    text = manifest.text.replace("format = 1\n", 'format = 1\ndimensions = ["data"]\n')
    drafts.save_text(author, draft, "course.toml", text, manifest.revision)
    db.session.commit()
    login(author)
    html = client.get("/studio/courses/minimal/edit").get_data(as_text=True)
    revision = re.search(r'name="base_revision" type="hidden" value="(\d+)"', html).group(1)
    data = _new_course_form(title="Endret tittel", base_revision=revision)
    del data["slug"]
    assert client.post("/studio/courses/minimal/edit", data=data).status_code == 302
    saved = tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)
    assert saved["title"] == "Endret tittel" and saved["dimensions"] == ["data"]
    assert saved["modules"] == ["01-intro.md", "02-sensorer.md", "03-veien-videre.md"]
    assert saved["provider"] == "test-naeringshage"
    stale = client.post("/studio/courses/minimal/edit", data={**data, "title": "Tredje"})
    assert stale.status_code == 409 and "Not saved" in stale.get_data(as_text=True)
    assert tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["title"] == "Endret tittel"


def test_a_manifest_the_form_cannot_show_is_edited_as_text(client, login, author, draft):
    manifest = _file(MINIMAL_SLUG, "course.toml")
    odd = manifest.text.replace("stage = 1", 'stage = "1"')
    drafts.save_text(author, draft, "course.toml", odd, manifest.revision)
    db.session.commit()
    revision = _file(MINIMAL_SLUG, "course.toml").revision
    login(author)
    html = client.get("/studio/courses/minimal/edit").get_data(as_text=True)
    assert 'name="source"' in html and 'stage = &#34;1&#34;' in html and 'name="summary"' not in html
    other = odd.replace('provider = "test-naeringshage"', 'provider = "annen-hage"')
    refused = client.post("/studio/courses/minimal/edit", data={"source": other, "base_revision": str(revision)})
    assert 'id="source-error"' in refused.get_data(as_text=True)
    assert _file(MINIMAL_SLUG, "course.toml").text == odd
    fixed = odd.replace('stage = "1"', "stage = 2")
    assert client.post("/studio/courses/minimal/edit",
                       data={"source": fixed, "base_revision": str(revision)}).status_code == 302
    assert _file(MINIMAL_SLUG, "course.toml").text == fixed
    assert 'name="summary"' in client.get("/studio/courses/minimal/edit").get_data(as_text=True)


def test_course_toml_problems_are_shown_above_the_settings(client, login, author, draft):
    draft.check_problems = [{"path": "course.toml", "line": 9, "code": "E114", "message": "stage is odd",
                             "severity": "error"},
                            {"path": "modules/01-intro.md", "line": 2, "code": "W121", "message": "in a module",
                             "severity": "warning"}]
    draft.checked_revision = draft.revision
    db.session.commit()
    login(author)
    html = client.get("/studio/courses/minimal/edit").get_data(as_text=True)
    assert "stage is odd" in html and "in a module" not in html and "1 problem" in html  # counted at its module


def test_the_settings_autosave_too(client, login, author, draft):
    login(author)
    manifest = _file(MINIMAL_SLUG, "course.toml")
    revision = manifest.revision
    data = _new_course_form(title="Autolagret tittel")
    del data["slug"]
    response = client.post("/studio/courses/minimal/autosave", json={
        "path": "course.toml", "base_revision": revision, "fields": [[k, v] for k, v in data.items()]})
    assert response.status_code == 200 and response.json["revision"] == revision + 1
    assert tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["title"] == "Autolagret tittel"


def test_the_studio_offers_a_new_course(client, login, author):
    login(author)
    assert 'href="/studio/new"' in client.get("/studio/").get_data(as_text=True)


def test_add_reorder_rename_and_remove_modules_keep_keys(client, login, author, draft):
    login(author)
    before = _keys(MINIMAL_SLUG)
    assert client.post("/studio/courses/minimal/modules", data={"new-title": "Veien videre"}).status_code == 302
    assert "modules/04-veien-videre-2.md" in _paths(MINIMAL_SLUG)  # "veien-videre" is taken: a unique key
    manifest = tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)
    assert manifest["modules"][-1] == "04-veien-videre-2.md"

    # 01-intro.md links to 02-sensorer.md; moving sensorer up renames both files and rewrites the link
    response = client.post("/studio/courses/minimal/modules/02-sensorer.md/move", data={"direction": "up"})
    assert response.status_code == 302
    after = _keys(MINIMAL_SLUG)
    assert after["01-sensorer.md"] == "sensorer" and after["02-intro.md"] == "intro"
    assert set(after.values()) == set(before.values()) | {"veien-videre-2"}
    assert tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["modules"] == [
        "01-sensorer.md", "02-intro.md", "03-veien-videre.md", "04-veien-videre-2.md"]
    assert "[sensorer](01-sensorer.md)" in _file(MINIMAL_SLUG, "modules/02-intro.md").text
    assert "[innledningen](02-intro.md#hvorfor-digitalisere)" in _file(MINIMAL_SLUG, "modules/01-sensorer.md").text

    assert client.post("/studio/courses/minimal/modules/02-intro.md/rename",
                       data={"title": "Hvorfor?", "key": "intro"}).status_code == 302
    assert split_front_matter(_file(MINIMAL_SLUG, "modules/02-intro.md").text).meta["title"] == "Hvorfor?"
    assert client.post("/studio/courses/minimal/modules/02-intro.md/rename",
                       data={"title": "Hvorfor?", "key": "hvorfor"}).status_code == 302
    assert _keys(MINIMAL_SLUG)["02-hvorfor.md"] == "hvorfor"
    assert "02-hvorfor.md" in tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["modules"]
    taken = client.post("/studio/courses/minimal/modules/02-hvorfor.md/rename", data={"title": "X", "key": "sensorer"})
    assert 'id="key-error"' in taken.get_data(as_text=True) and "modules/02-hvorfor.md" in _paths(MINIMAL_SLUG)

    confirm = client.get("/studio/courses/minimal/modules/04-veien-videre-2.md/remove")
    assert confirm.status_code == 200 and "modules/04-veien-videre-2.md" in _paths(MINIMAL_SLUG)
    assert client.post("/studio/courses/minimal/modules/04-veien-videre-2.md/remove").status_code == 302
    assert "modules/04-veien-videre-2.md" not in _paths(MINIMAL_SLUG)
    again = client.post("/studio/courses/minimal/modules/04-veien-videre-2.md/remove")  # a double click
    assert again.status_code == 302 and len(_paths(MINIMAL_SLUG)) == 6
    assert "04-veien-videre-2.md" not in tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["modules"]
    assert _events(MINIMAL_SLUG) == ["module_added", "modules_reordered", "module_renamed", "module_renamed",
                                     "module_removed"]
    assert not any(p.is_error for p in drafts.check(author, drafts.get_draft_for(author, MINIMAL_SLUG)))


def test_the_draft_home_is_opened_from_the_published_version(client, login, author, course):
    login(author)
    html = client.get("/studio/courses/minimal/edit").get_data(as_text=True)
    assert "Sensorer i fjøset" in html and "02-sensorer.md" in html
    assert db.session.execute(select(CourseDraft.slug)).scalars().all() == ["minimal"]


def test_draft_home_queries_do_not_grow_with_modules(client, login, author, draft, count_queries):
    login(author)
    client.get("/studio/courses/minimal/edit")
    with count_queries() as few:
        assert client.get("/studio/courses/minimal/edit").status_code == 200
    for n in range(5):
        client.post("/studio/courses/minimal/modules", data={"new-title": f"Modul {n}"})
    client.get("/studio/courses/minimal/edit")  # as before the first count: the same state of the session
    with count_queries() as more:
        assert client.get("/studio/courses/minimal/edit").status_code == 200
    assert more.count == few.count <= 5, more


# --- the module editor ------------------------------------------------------------------------------------------

def _module_form(text: str, revision: int, **overrides) -> dict:
    values = course_text.module_fields(text)
    data = {"title": values["title"], "key": values["key"], "minutes": str(values["minutes"] or ""),
            "objectives": "\n".join(values["objectives"]), "tasks": "\n".join(values["tasks"]),
            "pass_mark": "" if values["pass_mark"] is None else str(values["pass_mark"]), "body": values["body"],
            "base_revision": str(revision)}
    for i, q in enumerate(values["questions"]):
        data.update({f"questions-{i}-prompt": q["prompt"], f"questions-{i}-correct": "\n".join(q["correct"]),
                     f"questions-{i}-wrong": "\n".join(q["wrong"]), f"questions-{i}-explain": q["explain"]})
    data.update(overrides)
    return data


def test_the_module_editor_saves_and_refuses_a_stale_revision(client, login, author, draft):
    login(author)
    page = client.get("/studio/courses/minimal/modules/02-sensorer.md/edit").get_data(as_text=True)
    assert 'id="questions-1-prompt"' in page and 'data-path="modules/02-sensorer.md"' in page
    item = _file(MINIMAL_SLUG, "modules/02-sensorer.md")
    first = item.revision
    data = _module_form(item.text, first, body="# Sensorer\n\nNy tekst.\n", objectives="Første\r\nAndre\r\n")
    assert client.post("/studio/courses/minimal/modules/02-sensorer.md/edit", data=data).status_code == 302
    saved = _file(MINIMAL_SLUG, "modules/02-sensorer.md")
    assert saved.revision == first + 1 and saved.text.endswith("Ny tekst.\n")
    meta = split_front_matter(saved.text).meta
    assert meta["objectives"] == ["Første", "Andre"] and len(meta["quiz"]["questions"]) == 2
    # the same form again (a double click): no new revision
    assert client.post("/studio/courses/minimal/modules/02-sensorer.md/edit", data=data).status_code == 302
    assert _file(MINIMAL_SLUG, "modules/02-sensorer.md").revision == first + 1
    # another text from the old revision: a conflict, the author's text shown again, nothing overwritten
    stale = client.post("/studio/courses/minimal/modules/02-sensorer.md/edit",
                        data={**data, "body": "Min egen tekst som ikke må forsvinne"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Min egen tekst som ikke må forsvinne" in html and 'id="conflict"' in html
    assert f'value="{first + 1}"' in html  # saving again is a conscious choice, from the current revision
    assert _file(MINIMAL_SLUG, "modules/02-sensorer.md").text.endswith("Ny tekst.\n")


def test_questions_are_added_and_removed_without_javascript(client, login, author, draft):
    login(author)
    item = _file(MINIMAL_SLUG, "modules/02-sensorer.md")
    html = client.post("/studio/courses/minimal/modules/02-sensorer.md/edit",
                       data={**_module_form(item.text, item.revision, minutes="tjue"), "add_question": "1"}
                       ).get_data(as_text=True)
    assert 'id="questions-2-prompt"' in html and 'value="tjue"' in html  # kept as typed, to be corrected
    assert 'data-unsaved="true"' in html  # the script saves it (once corrected)
    page = client.get("/studio/courses/minimal/modules/02-sensorer.md/edit").get_data(as_text=True)
    assert "data-unsaved" not in page
    html = client.post("/studio/courses/minimal/modules/02-sensorer.md/edit",
                       data={**_module_form(item.text, item.revision), "remove_question": "1"}).get_data(as_text=True)
    assert 'id="questions-1-prompt"' not in html and "Hvilke av disse er sensorer?" in html
    assert "Hva måler en temperaturlogger?" not in html
    assert _file(MINIMAL_SLUG, "modules/02-sensorer.md").revision == 1  # nothing saved yet


def test_a_module_the_form_cannot_show_is_edited_as_a_whole_file(client, login, author, draft):
    item = _file(MINIMAL_SLUG, "modules/01-intro.md")
    broken = "---\ntitle: Intro\nminutes: ti minutter\n---\n\n# Intro\n"
    drafts.save_text(author, drafts.get_draft_for(author, MINIMAL_SLUG), item.path, broken, item.revision)
    db.session.commit()
    login(author)
    html = client.get("/studio/courses/minimal/modules/01-intro.md/edit").get_data(as_text=True)
    assert 'id="source"' in html and "minutes: ti minutter" in html and 'id="questions' not in html
    revision = _file(MINIMAL_SLUG, "modules/01-intro.md").revision
    fixed = broken.replace("ti minutter", "10")
    assert client.post("/studio/courses/minimal/modules/01-intro.md/edit?mode=source",
                       data={"source": fixed, "base_revision": str(revision)}).status_code == 302
    assert _file(MINIMAL_SLUG, "modules/01-intro.md").text == fixed


def test_the_modules_problems_are_shown_at_their_field_and_line(client, login, author, draft):
    def problem(path, line, code, message, severity="error"):
        return {"path": path, "line": line, "code": code, "message": message, "severity": severity}

    draft.check_problems = [problem("modules/02-sensorer.md", 4, "E129", "minutes is wrong"),
                            problem("modules/02-sensorer.md", 19, "E131", "question two"),
                            problem("modules/02-sensorer.md", 26, "W122", "image alt", "warning"),
                            problem("modules/01-intro.md", 1, "E999", "another module")]
    draft.checked_revision = draft.revision
    db.session.commit()
    login(author)
    html = client.get("/studio/courses/minimal/modules/02-sensorer.md/edit").get_data(as_text=True)
    assert 'href="#minutes"' in html and 'href="#questions-1-prompt"' in html
    assert 'data-go-line="5"' in html  # file line 26 is the body's fifth line
    assert "image alt" in html and "another module" not in html


# --- JSON: autosave and the live preview ------------------------------------------------------------------------

def _fields(data: dict) -> list:
    return [[k, v] for k, v in data.items() if k != "base_revision"]


def test_autosave_saves_and_reports_a_conflict(client, login, author, draft):
    login(author)
    item = _file(MINIMAL_SLUG, "modules/02-sensorer.md")
    path, text, first = item.path, item.text, item.revision
    fields = _fields(_module_form(text, first, body="# Sensorer\n\nAutolagret.\n"))
    response = client.post("/studio/courses/minimal/autosave",
                           json={"path": path, "base_revision": first, "fields": fields})
    assert response.status_code == 200 and response.json["revision"] == first + 1
    assert _file(MINIMAL_SLUG, path).text.endswith("Autolagret.\n")
    again = client.post("/studio/courses/minimal/autosave",
                        json={"path": path, "base_revision": first, "fields": fields})
    assert again.status_code == 200 and again.json["revision"] == first + 1  # a retry: no new revision
    other = _fields(_module_form(text, first, body="En annen fane"))
    conflict = client.post("/studio/courses/minimal/autosave",
                           json={"path": path, "base_revision": first, "fields": other})
    assert conflict.status_code == 409 and conflict.json["revision"] == first + 1
    assert _file(MINIMAL_SLUG, path).text.endswith("Autolagret.\n")
    invalid = client.post("/studio/courses/minimal/autosave", json={
        "path": path, "base_revision": first + 1,
        "fields": [[k, "tjue" if k == "minutes" else v] for k, v in fields]})
    assert invalid.status_code == 422 and "minutes" in invalid.json["fields"]
    source = client.post("/studio/courses/minimal/autosave", json={
        "path": path, "base_revision": first + 1, "source": "---\ntitle: Helt ny\n---\n\nTekst\n"})
    assert source.status_code == 200 and _file(MINIMAL_SLUG, path).text.startswith("---\ntitle: Helt ny")
    assert client.post("/studio/courses/minimal/autosave", json={"path": "assets/x.png", "base_revision": 1,
                                                                  "source": "x"}).status_code == 422
    assert client.post("/studio/courses/minimal/autosave", json={"path": "modules/nope.md", "base_revision": 1,
                                                                  "source": "x"}).status_code == 404
    assert client.post("/studio/courses/minimal/autosave", data="not json").status_code == 415
    assert client.post("/studio/courses/minimal/autosave", json=[1]).status_code == 422


def test_render_preview_is_sanitised_and_refuses_over_limit_markdown_politely(client, login, author, draft):
    login(author)
    response = client.post("/studio/courses/minimal/live-preview", json={
        "body": "# Tittel\n\n![Sensor](../assets/fjos-sensor.png) [neste](02-sensorer.md)\n\n"
                "<script>alert(1)</script><img src=x onerror=alert(1)>"})
    assert response.status_code == 200
    html = response.json["html"]
    assert "<script" not in html and "onerror" not in html
    assert 'src="/studio/courses/minimal/preview/assets/fjos-sensor.png"' in html
    assert 'href="/studio/courses/minimal/preview/sensorer"' in html
    assert response.json["toc"][0]["title"] == "Tittel"
    deep = client.post("/studio/courses/minimal/live-preview", json={"body": "> " * 40 + "dypt"})
    assert deep.status_code == 422 and "nested" in deep.json["error"]
    whole = client.post("/studio/courses/minimal/live-preview", json={"source": "---\ntitle: [x\n---\n"})
    assert whole.status_code == 422 and "line" in whole.json["error"]


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_json_endpoints_need_the_csrf_token(client, login, author, draft):
    login(author)
    page = client.get("/studio/courses/minimal/modules/02-sensorer.md/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    item = _file(MINIMAL_SLUG, "modules/02-sensorer.md")
    path, text, first = item.path, item.text, item.revision
    body = {"path": path, "base_revision": first, "source": text + "\nMer.\n"}
    assert client.post("/studio/courses/minimal/autosave", json=body).status_code == 400
    assert client.post("/studio/courses/minimal/live-preview", json={"body": "x"}).status_code == 400
    assert _file(MINIMAL_SLUG, path).revision == first
    saved = client.post("/studio/courses/minimal/autosave", json=body, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json["revision"] == first + 1
    assert client.post("/studio/courses/minimal/live-preview", json={"body": "x"},
                       headers={"X-CSRFToken": token}).status_code == 200


# --- who may use each page --------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/studio/new", None),
    ("get", "/studio/courses/minimal/edit", None),
    ("post", "/studio/courses/minimal/edit", {"title": "x"}),
    ("post", "/studio/courses/minimal/modules", {"new-title": "Ny modul"}),
    ("post", "/studio/courses/minimal/modules/01-intro.md/move", {"direction": "down"}),
    ("get", "/studio/courses/minimal/modules/01-intro.md/rename", None),
    ("get", "/studio/courses/minimal/modules/01-intro.md/remove", None),
    ("post", "/studio/courses/minimal/modules/03-veien-videre.md/remove", {}),
    ("get", "/studio/courses/minimal/modules/01-intro.md/edit", None),
    ("post", "/studio/courses/minimal/modules/01-intro.md/edit", {"source": "x", "base_revision": "1"}),
    ("post", "/studio/courses/minimal/live-preview", {"json": {"body": "# x"}}),
    ("post", "/studio/courses/minimal/autosave", {"json": {"path": "modules/01-intro.md", "base_revision": 1,
                                                           "source": "# x\n"}}),
]


@pytest.fixture
def people(make_user, course):
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    return {
        "author": make_user("author", provider_id=course.provider_id, locale="en"),
        "other_author": make_user("author", provider_id=other.id, locale="en"),
        "unlinked_author": make_user("author", locale="en"),  # an author role without a provider
        "learner": make_user("learner", locale="en"),
        "funder": make_user("funder", locale="en"),
        "admin": make_user("admin", locale="en"),
    }


def _request(client, method, url, data):
    if data and "json" in data:
        return client.post(url, json=data["json"])
    return getattr(client, method)(url, data=data)


@pytest.mark.parametrize("role", ["author", "other_author", "unlinked_author", "learner", "funder", "admin",
                                  "anonymous"])
@pytest.mark.parametrize("method,url,data", ROUTES, ids=[f"{m} {u}" for m, u, _d in ROUTES])
def test_access_matrix(client, login, people, role, method, url, data):
    drafts.open_draft(people["author"], MINIMAL_SLUG)
    db.session.commit()
    if role != "anonymous":
        login(people[role])
    status = _request(client, method, url, data).status_code
    if role == "anonymous":
        assert status == 302
    elif role in ("author", "admin"):
        assert status in (200, 302), status
    elif role == "other_author" and url == "/studio/new":
        assert status == 200  # their own new course
    else:
        assert status == 403
    assert _paths(MINIMAL_SLUG) and tomllib.loads(_file(MINIMAL_SLUG, "course.toml").text)["title"] != "x"
    if role not in ("author", "admin"):
        assert _events(MINIMAL_SLUG) == [] and len(_paths(MINIMAL_SLUG)) == 6
        if data and "json" in data:  # who may ask is decided before what they asked
            assert client.post(url, data="not json").status_code == (302 if role == "anonymous" else 403)
