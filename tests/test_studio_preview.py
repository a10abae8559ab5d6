"""Preview as a learner (services/preview.py): a draft module in the learner page's layout, its quiz shown and graded
as learners get it, and nothing stored."""
import re

from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import CourseVersion, Module, ModuleProgress, QuizAttempt, TaskCheck
from courseware.services import drafts, quiz

from .publishing_support import SENSORER, SLUG, edit, world  # noqa: F401

PREVIEW = f"/studio/courses/{SLUG}/preview"


def _counts():
    return [db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (QuizAttempt, ModuleProgress, TaskCheck)]


def test_a_draft_module_shows_in_the_learner_layout_with_a_banner(client, login, world):
    author = login(world.people["author_own"])
    edit(author, SENSORER, lambda text: text.replace("## Typer sensorer", "## Typer sensorer\n\nNy tekst i utkastet."))
    html = client.get(f"{PREVIEW}/sensorer").get_data(as_text=True)
    assert "Preview — learners do not see this draft." in html
    assert "Ny tekst i utkastet." in html and "Sensorer i fjøset" in html
    assert "Module 2 of 3" in html and "Kjenne til tre typer sensorer" in html  # position and objectives
    tasks = re.search(r'<ul class="task-list" id="preview-tasks">(.*?)</ul>', html, re.S).group(1)
    assert tasks.count('type="checkbox"') == 2 and "checked" not in tasks and "Snakk med en leverandør" in tasks
    # Relative links resolve under the preview; previous and next stay in the draft.
    assert f'href="{PREVIEW}/intro' in html and f'href="{PREVIEW}/veien-videre"' in html
    intro = client.get(f"{PREVIEW}/intro").get_data(as_text=True)
    assert f'src="{PREVIEW}/assets/fjos-sensor.png"' in intro and f'href="{PREVIEW}/sensorer"' in intro
    # Learners still get the published version.
    assert "Ny tekst i utkastet." not in client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "style=" not in html and "<script>" not in html


def test_the_quiz_is_shown_as_learners_get_it_without_the_right_answers(client, login, world):
    login(world.people["author_own"])
    html = client.get(f"{PREVIEW}/sensorer").get_data(as_text=True)
    form = html[html.index('<div class="card step quiz" id="quiz">'):]
    assert "Hva måler en temperaturlogger?" in form and 'type="radio"' in form and 'type="checkbox"' in form
    for index, text in [(0, "Temperatur over tid"), (0, "Melkemengde"), (1, "Fuktmåler"), (1, "Regneark")]:
        assert f'value="{quiz.choice_id("sensorer", index, text)}"> {text}</label>' in form
    assert "Loggeren lagrer" not in html and "choice-correct" not in form and "right answer<" not in form
    orders = {tuple(re.findall(r'name="q0" value="(\w+)"', client.get(f"{PREVIEW}/sensorer").get_data(as_text=True)))
              for _ in range(12)}
    assert len(orders) > 1  # shuffled on every view


def test_submitting_the_quiz_grades_it_and_stores_nothing(client, login, world):
    login(world.people["author_own"])
    before = _counts()
    right = {"q0": [quiz.choice_id("sensorer", 0, "Temperatur over tid")],
             "q1": [quiz.choice_id("sensorer", 1, "Fuktmåler"), quiz.choice_id("sensorer", 1, "Bevegelsessensor")]}
    passed = client.post(f"{PREVIEW}/sensorer", data=right)
    html = passed.get_data(as_text=True)
    assert passed.status_code == 200 and "2 of 2 right (100 %)" in html and "Passed!" in html
    assert "Loggeren lagrer" in html  # after a pass the explanations show (show_answers = after-pass)
    wrong = client.post(f"{PREVIEW}/sensorer", data={"q0": [quiz.choice_id("sensorer", 0, "Melkemengde")],
                                                     "q1": right["q1"]}).get_data(as_text=True)
    assert "1 of 2 right (50 %)" in wrong and "Not passed this time. You need 75 % to pass." in wrong
    assert "Loggeren lagrer" not in wrong and "right answer<" not in wrong and "choice-correct" not in wrong  # not revealed before a pass
    assert "this attempt was not saved" in wrong
    assert _counts() == before == [0, 0, 0]


def test_the_preview_follows_the_draft_order_and_refuses_unknown_modules(client, login, world):
    author = login(world.people["author_own"])
    edit(author, "course.toml", lambda text: text.replace(
        'modules = ["01-intro.md", "02-sensorer.md", "03-veien-videre.md"]',
        'modules = ["02-sensorer.md", "01-intro.md", "03-veien-videre.md"]'))
    html = client.get(f"{PREVIEW}/sensorer").get_data(as_text=True)
    assert "Module 1 of 3" in html and f'href="{PREVIEW}/intro">Hvorfor digitalisere? →' in html
    assert client.get(f"{PREVIEW}/finnes-ikke").status_code == 404


def test_a_module_with_broken_front_matter_says_so(client, login, world):
    author = login(world.people["author_own"])
    edit(author, SENSORER, lambda text: text.replace("minutes: 20", "minutes: [tjue"))
    response = client.get(f"{PREVIEW}/sensorer")
    assert response.status_code == 200
    assert "cannot be read" in response.get_data(as_text=True)


def test_only_the_providers_staff_and_admins_preview(client, login, world):
    for role, status in [("author_other", 403), ("learner", 403), ("funder", 403), ("admin", 200)]:
        login(world.people[role])
        assert client.get(f"{PREVIEW}/sensorer").status_code == status, role
        assert client.post(f"{PREVIEW}/sensorer", data={"q0": ["x"]}).status_code == status, role


def test_the_check_page_links_to_the_preview_of_each_draft_module(client, login, world):
    login(world.people["author_own"])
    client.post(f"/studio/courses/{SLUG}/check")
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    links = re.findall(rf'<a href="{PREVIEW}/([\w-]+)">([^<]+)</a>', html)
    assert links == [("intro", "Hvorfor digitalisere?"), ("sensorer", "Sensorer i fjøset"),
                     ("veien-videre", "Veien videre")]


def test_the_preview_shows_instructor_notes_that_learners_never_see(client, login, world):
    """Format 1.1: `::: instructor` blocks are for the provider's authors: shown in the studio's preview, never in
    the published module."""
    author = login(world.people["author_own"])
    draft = drafts.open_draft(author, SLUG)
    path = "modules/01-intro.md"
    item = drafts.get_file(draft, path)
    drafts.save_text(author, draft, path, item.text + "\n::: instructor\nSpør hvem som har sensorer fra før.\n:::\n",
                     item.revision)
    db.session.commit()
    html = client.get(f"/studio/courses/{SLUG}/preview/intro").get_data(as_text=True)
    assert "Spør hvem som har sensorer fra før." in html and "instructor-note" in html
    client.post(f"/studio/courses/{SLUG}/publish", data={"accept_warnings": "y"})
    assert db.session.execute(select(func.max(CourseVersion.number))).scalar_one() == 2
    published = db.session.execute(select(Module.html).where(Module.key == "intro")
                                   .order_by(Module.id.desc())).scalars().first()
    assert "Spør hvem som har sensorer" not in published
