"""Versions in the studio (services/versions.py): the list, a version's module, comparing, restoring, history."""
import re

from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Module, StudioEvent
from courseware.services import drafts, versions

from .publishing_support import SENSORER, SLUG, current_number, draft_text, edit, version_numbers, world  # noqa: F401

OLD_LINE = "Tilbake til [innledningen](01-intro.md#hvorfor-digitalisere)."
NEW_LINE = "Gå tilbake til [innledningen](01-intro.md#hvorfor-digitalisere)."


def _publish_changed_line(client, author):
    edit(author, SENSORER, lambda text: text.replace(OLD_LINE, NEW_LINE))
    client.post(f"/studio/courses/{SLUG}/publish")
    assert version_numbers() == [1, 2]


def test_the_versions_page_lists_who_published_what(client, login, world):
    author = login(world.people["author_own"])
    _publish_changed_line(client, author)
    html = client.get(f"/studio/courses/{SLUG}/versions").get_data(as_text=True)
    one = re.search(r'<tr id="version-1">(.*?)</tr>', html, re.S).group(1)
    two = re.search(r'<tr id="version-2">(.*?)</tr>', html, re.S).group(1)
    assert "Command line import" in one and "Åse Forfatter" in two and "Live" in two and "Live" not in one
    assert "Minimalkurs – Trinn 1" in one
    assert '<td class="num">3</td>' in one and '<td class="num">3</td>' in two
    assert html.index('id="version-2"') < html.index('id="version-1"')  # newest first


def test_a_version_module_shows_its_stored_html_and_its_own_assets(client, login, world):
    author = login(world.people["author_own"])
    _publish_changed_line(client, author)
    old = client.get(f"/studio/courses/{SLUG}/versions/1/sensorer").get_data(as_text=True)
    new = client.get(f"/studio/courses/{SLUG}/versions/2/sensorer").get_data(as_text=True)
    stored = db.session.execute(select(Module.html).where(Module.key == "sensorer").order_by(Module.id)).scalars().all()
    assert "Gå tilbake" not in old and "Gå tilbake" in new
    assert "<table>" in old and "Sensorer i fjøset" in old
    assert stored[0].split("</h1>", 1)[-1].strip()[:80] in old  # the stored HTML, as the learner page shows it
    intro = client.get(f"/studio/courses/{SLUG}/versions/1/intro").get_data(as_text=True)
    assert 'src="assets/fjos-sensor.png"' in intro  # resolves to .../versions/1/assets/fjos-sensor.png
    image = client.get(f"/studio/courses/{SLUG}/versions/1/assets/fjos-sensor.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert client.get(f"/studio/courses/{SLUG}/versions/1/assets/finnes-ikke.png").status_code == 404


def test_compare_shows_a_changed_line_of_a_module(client, login, world):
    author = login(world.people["author_own"])
    edit(author, SENSORER, lambda text: text.replace(OLD_LINE, NEW_LINE))
    html = client.get(f"/studio/courses/{SLUG}/compare?from=1&to=draft").get_data(as_text=True)
    module = re.search(r'<section class="card" id="module-sensorer" data-status="(\w+)"(.*?)</section>', html, re.S)
    assert module.group(1) == "changed"
    body = module.group(2)
    removed = re.search(r'<tr class="diff-removed">(.*?)</tr>', body, re.S).group(1)
    added = re.search(r'<tr class="diff-added">(.*?)</tr>', body, re.S).group(1)
    assert OLD_LINE in removed and "removed" in removed and NEW_LINE in added and "added" in added
    line = draft_text(author, SENSORER).split("\n").index(NEW_LINE) + 1
    assert f'<td class="ln">{line}</td>' in added
    assert 'id="module-intro" data-status="unchanged"' in html
    assert 'id="manifest" data-status="unchanged"' in html
    assert "style=" not in html


def test_compare_two_versions_and_added_and_removed_modules(client, login, world):
    author = login(world.people["author_own"])
    draft = drafts.open_draft(author, SLUG)
    drafts.add_text_file(author, draft, "modules/04-ny.md", "module",
                         "---\ntitle: En ny modul\nobjectives: [Lære noe]\n---\n\n# En ny modul\n\nTekst.\n")
    drafts.remove_file(author, draft, "modules/03-veien-videre.md")
    manifest = drafts.get_file(draft, "course.toml")
    drafts.save_text(author, draft, "course.toml", manifest.text.replace('"03-veien-videre.md"', '"04-ny.md"'),
                     manifest.revision)
    db.session.commit()
    client.post(f"/studio/courses/{SLUG}/publish")
    assert current_number() == 2
    comparison = versions.compare(author, SLUG, 1, 2)
    statuses = {c.key: c.status for c in comparison.modules}
    assert statuses == {"intro": "unchanged", "sensorer": "unchanged", "ny": "added", "veien-videre": "removed"}
    assert comparison.manifest.status == "changed" and comparison.manifest.added == 1
    html = client.get(f"/studio/courses/{SLUG}/compare?from=1&to=2").get_data(as_text=True)
    assert "En ny modul" in html and "Added" in html and "Removed" in html
    for bad in ("from=x&to=2", "from=1&to=x", "from=1&to=9"):
        assert client.get(f"/studio/courses/{SLUG}/compare?{bad}").status_code == 404, bad
    # no version to compare from: the versions page, where one is chosen
    assert client.get(f"/studio/courses/{SLUG}/compare?to=2").location.endswith(f"/studio/courses/{SLUG}/versions")


def test_restore_puts_the_old_text_in_the_draft_and_publishing_makes_it_live(client, login, world):
    author = login(world.people["author_own"])
    _publish_changed_line(client, author)
    assert NEW_LINE in draft_text(author, SENSORER)
    response = client.post(f"/studio/courses/{SLUG}/versions/1/restore")
    assert response.status_code == 302
    assert OLD_LINE in draft_text(author, SENSORER) and NEW_LINE not in draft_text(author, SENSORER)
    assert current_number() == 2  # nothing live until published
    v1 = db.session.execute(select(Module.source).where(Module.key == "sensorer").order_by(Module.id)).scalars().first()
    assert draft_text(author, SENSORER) == v1
    client.post(f"/studio/courses/{SLUG}/publish")
    assert version_numbers() == [1, 2, 3]
    history = client.get(f"/studio/courses/{SLUG}/history").get_data(as_text=True)
    actions = re.findall(r'<tr data-action="(\w+)">', history)
    assert actions == ["published", "restored", "published"]
    assert "restored an earlier version into the draft · version 1" in history and "Åse Forfatter" in history
    assert db.session.execute(select(StudioEvent.user_id).where(StudioEvent.action == "restored")
                              ).scalar_one() == author.id


def test_history_is_empty_with_a_helpful_message_and_limited(client, login, world, app):
    author = login(world.people["author_own"])
    assert "Nothing has happened" in client.get(f"/studio/courses/{SLUG}/history").get_data(as_text=True)
    draft = drafts.open_draft(author, SLUG)
    for _ in range(5):
        drafts.record(author, draft, "saved", path=SENSORER)
    db.session.commit()
    app.config["STUDIO_HISTORY_LIMIT"] = 3
    html = client.get(f"/studio/courses/{SLUG}/history").get_data(as_text=True)
    assert len(re.findall(r'<tr data-action="saved">', html)) == 3 and "The latest 3 changes" in html
