"""Builders for the learning-journey tests: courses written straight into the database (fast, and independent of
the importer), firms, enrolled learners, and a quiz answer helper that reads choice ids like a browser would."""
import re

from courseware.extensions import db
from courseware.models import Course, CourseVersion, Firm, Module, Provider
from courseware.services import outbox, quiz

VALID_ORGNRS = ["817920632", "986399445", "942110464", "974760673", "912660680", "991825827", "923609016"]

QUIZ = {
    "pass_mark": None,
    "questions": [
        {"prompt": "Hva måler en temperaturlogger?", "correct": ["Temperatur over tid"],
         "wrong": ["Melkemengde", "Fôrforbruk"], "explain": "Loggeren lagrer temperaturen."},
        {"prompt": "Hvilke av disse er sensorer?", "correct": ["Fuktmåler", "Bevegelsessensor"],
         "wrong": ["Regneark"], "explain": "Et regneark måler ingenting."},
    ],
}

DEFAULT_MODULES = [
    {"key": "intro", "title": "Hvorfor digitalisere?", "tasks": ["Skriv ned tre ting du gjør på papir"]},
    {"key": "sensorer", "title": "Sensorer i fjøset", "tasks": ["Finn målingene", "Snakk med en leverandør"],
     "quiz": QUIZ},
    {"key": "veien-videre", "title": "Veien videre"},
]


def provider(slug="test-naeringshage", name="Test Næringshage") -> Provider:
    found = db.session.execute(db.select(Provider).filter_by(slug=slug)).scalar_one_or_none()
    if found is None:
        found = Provider(slug=slug, name=name)
        db.session.add(found)
        db.session.flush()
    return found


def make_course(slug="kurs", *, modules=None, title=None, audience="firms", requires=(), pass_mark=0.8,
                provider_slug="test-naeringshage", **policy) -> Course:
    """A published course with one version whose outline matches its Module rows (committed); `policy` may set
    the version's show_answers, attempts_per_day and certificate (course.toml's [certificate]: none by default)."""
    course = Course(slug=slug, provider_id=provider(provider_slug, provider_slug.replace("-", " ").title()).id)
    db.session.add(course)
    db.session.flush()
    publish(course, modules if modules is not None else DEFAULT_MODULES, title=title or f"Kurs {slug}",
            audience=audience, requires=list(requires), pass_mark=pass_mark, **policy)
    return course


def publish(course: Course, modules: list[dict], *, title=None, audience=None, requires=None, pass_mark=None,
            show_answers="after-pass", attempts_per_day=0, certificate=None):
    """A new version of `course` (like a re-import that changed something), made current (committed)."""
    previous = db.session.get(CourseVersion, course.current_version_id) if course.current_version_id else None
    version = CourseVersion(
        course_id=course.id, number=(previous.number + 1) if previous else 1, source_hash=f"h{course.id}-{len(modules)}",
        title=title or (previous.title if previous else course.slug), summary="Et kurs for testene.",
        audience=audience or (previous.audience if previous else "firms"),
        requires=requires if requires is not None else (previous.requires if previous else []),
        pass_mark=pass_mark if pass_mark is not None else (previous.pass_mark if previous else 0.8),
        stage=1, language="nb", estimated_minutes=45, show_answers=show_answers, attempts_per_day=attempts_per_day,
        certificate=certificate if certificate is not None else (previous.certificate if previous else {}),
        outline=[{"key": m["key"], "title": m["title"], "minutes": 10, "tasks": len(m.get("tasks", [])),
                  "quiz": bool(m.get("quiz"))} for m in modules],
    )
    db.session.add(version)
    db.session.flush()
    for position, m in enumerate(modules, start=1):
        db.session.add(Module(
            version_id=version.id, key=m["key"], position=position, filename=f"{position:02d}-{m['key']}.md",
            title=m["title"], minutes=10, objectives=[], tasks=list(m.get("tasks", [])), quiz=m.get("quiz") or {},
            html=f"<h1>{m['title']}</h1><p>Tekst.</p>", toc=[], render_hash=f"r{version.id}-{position}",
        ))
    course.current_version_id = version.id
    db.session.commit()
    return version


def make_firm(orgnr=VALID_ORGNRS[0], name="Testgården AS") -> Firm:
    firm = Firm(orgnr=orgnr, name=name)
    db.session.add(firm)
    db.session.commit()
    return firm


def choice_ids(html: str, field: str) -> dict[str, str]:
    """{choice text: id} for one question's inputs in a rendered quiz form."""
    pattern = rf'name="{field}" value="([0-9a-f]{{12}})"> ([^<]+?)</label>'
    return {text.strip(): value for value, text in re.findall(pattern, html)}


def answers_for(module: Module, *, right=True) -> dict[int, list[str]]:
    """Service-level answers: every question right (or every question wrong)."""
    answers = {}
    for index, q in enumerate(module.quiz["questions"]):
        texts = q["correct"] if right else q["wrong"][:1]
        answers[index] = [quiz.choice_id(module.key, index, t) for t in texts]
    return answers


def quiz_form(module: Module, *, right=True, token=None) -> dict:
    """A quiz POST body with every question right (or wrong) and a fresh token."""
    form = {"token": token or quiz.new_token()}
    for index, ids in answers_for(module, right=right).items():
        form[f"q{index}"] = ids
    return form


def load(course: Course) -> Course:
    """The course as pages get it: current version and provider loaded (a commit expires them)."""
    from courseware.services.catalogue import get_course

    return get_course(course.slug)


def get_module(course: Course, key: str) -> Module:
    from courseware.services.catalogue import get_module as load

    return load(course.slug, key)


def commit_and_deliver() -> int:
    db.session.commit()
    return outbox.deliver()
