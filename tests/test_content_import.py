"""Importing packages: versions, unchanged skips, render reuse, savepoints, the media store and the CLI."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courseware.content import importer, render
from courseware.content.importer import import_packages
from courseware.extensions import db
from courseware.models import Asset, Course, CourseVersion, Module, Provider
from courseware.storage import media_store

FIXTURE_PNG = Path(__file__).parent / "fixtures" / "courses" / "minimal" / "assets" / "fjos-sensor.png"


def counts() -> dict:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Provider, Course, CourseVersion, Module, Asset)}


def course(slug: str) -> Course:
    return db.session.execute(select(Course).where(Course.slug == slug)).scalar_one()


def current(slug: str) -> CourseVersion:
    c = course(slug)
    return db.session.get(CourseVersion, c.current_version_id)


def modules(version_id: int) -> list[Module]:
    return list(db.session.execute(select(Module).where(Module.version_id == version_id).order_by(Module.position)).scalars())


@pytest.fixture
def render_calls(monkeypatch):
    calls = []
    real = render.render_module

    def counting(text, **kwargs):
        calls.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(render, "render_module", counting)
    return calls


def run_import(paths=None):
    report = import_packages(paths)
    db.session.commit()
    return report


def test_new_package_becomes_version_one(app, copy_course):
    path = copy_course("minimal")
    report = run_import([path])
    assert [(i.slug, i.version) for i in report.new] == [("minimal", 1)]
    assert report.updated == report.unchanged == report.refused == []
    version = current("minimal")
    assert (version.number, version.title, version.stage, version.language, version.audience) == (
        1, "Minimalkurs – Trinn 1", 1, "nb", "firms")
    assert (version.industry, version.estimated_minutes, version.pass_mark, version.requires) == ("A", 45, 0.8, [])
    assert version.certificate == {"enabled": True, "signer_name": "Kari Nordmann",
                                   "signer_title": "Daglig leder, Test Næringshage", "valid_years": 0}
    assert version.partners == [{"name": "NIBIO", "role": "Fagpartner", "url": "https://www.nibio.no"},
                                {"name": "Bondelaget lokallag", "role": "", "url": ""}]
    assert [e["key"] for e in version.outline] == ["intro", "sensorer", "veien-videre"]
    assert version.outline[1] == {"key": "sensorer", "title": "Sensorer i fjøset", "minutes": 20, "tasks": 2, "quiz": True}
    provider = db.session.get(Provider, course("minimal").provider_id)
    assert (provider.slug, provider.name) == ("test-naeringshage", "Test Næringshage")
    rows = modules(version.id)
    assert [(m.position, m.key, m.filename) for m in rows] == [
        (1, "intro", "01-intro.md"), (2, "sensorer", "02-sensorer.md"), (3, "veien-videre", "03-veien-videre.md")]
    assert rows[1].quiz["questions"][1]["correct"] == ["Fuktmåler", "Bevegelsessensor"] and rows[1].has_quiz
    assert 'href="sensorer"' in rows[0].html and "youtube-nocookie.com/embed/M7lc1UVf-VE" in rows[1].html
    assert rows[1].toc[1] == {"level": 2, "id": "typer-sensorer", "title": "Typer sensorer"}


def test_assets_are_stored_by_content_hash(app, copy_course):
    path = copy_course("minimal")
    run_import([path])
    assets = {a.path: a for a in db.session.execute(select(Asset)).scalars()}
    assert sorted(assets) == ["fjos-sensor.png", "sjekkliste.pdf"]
    png = assets["fjos-sensor.png"]
    assert png.content_type == "image/png" and assets["sjekkliste.pdf"].content_type == "application/pdf"
    stored = media_store().path(png.sha256)  # the folder backend: MEDIA_DIR/ab/abcdef...
    assert stored == Path(app.config["MEDIA_DIR"]) / png.sha256[:2] / png.sha256
    assert stored.read_bytes() == (path / "assets" / "fjos-sensor.png").read_bytes() and png.size == stored.stat().st_size
    assert stored.parent.name == png.sha256[:2]
    assert not list(stored.parent.glob(".incoming-*"))
    with pytest.raises(ValueError):
        media_store().path("../../etc/passwd")
    with pytest.raises(ValueError):
        media_store().read("../../etc/passwd")


def test_unchanged_reimport_writes_nothing_and_renders_nothing(app, copy_course, render_calls, monkeypatch):
    path = copy_course("minimal")
    run_import([path])
    before, course_id = counts(), course("minimal").id
    render_calls.clear()
    monkeypatch.setattr(importer, "check_package", lambda *a, **k: pytest.fail("an unchanged package was checked"))
    report = run_import([path])
    assert [(i.slug, i.version) for i in report.unchanged] == [("minimal", 1)]
    assert report.new == report.updated == report.refused == [] and render_calls == []
    assert counts() == before and course("minimal").id == course_id


def test_changed_module_makes_version_two_and_renders_only_that_module(app, copy_course, render_calls):
    path = copy_course("minimal")
    run_import([path])
    course_id, first = course("minimal").id, current("minimal")
    old_html = [m.html for m in modules(first.id)]
    render_calls.clear()
    text = (path / "modules/03-veien-videre.md").read_text("utf-8")
    (path / "modules/03-veien-videre.md").write_text(text.replace("Lag en plan.", "Lag en bedre plan."), "utf-8")
    report = run_import()  # None: every package in the courses folder
    assert [(i.slug, i.version) for i in report.updated] == [("minimal", 2)]
    assert len(render_calls) == 1 and "bedre plan" in render_calls[0]
    second = current("minimal")
    assert course("minimal").id == course_id and second.number == 2 and second.id != first.id
    new_rows = modules(second.id)
    assert [m.html for m in new_rows][:2] == old_html[:2] and "bedre plan" in new_rows[2].html
    assert [m.html for m in modules(first.id)] == old_html  # the old version is kept as it was


def test_changed_asset_list_rerenders_every_module(app, copy_course, render_calls):
    path = copy_course("minimal")
    run_import([path])
    render_calls.clear()
    (path / "assets" / "ny.png").write_bytes((path / "assets" / "fjos-sensor.png").read_bytes())
    assert [i.version for i in run_import([path]).updated] == [2]
    assert len(render_calls) == 3
    assert db.session.execute(select(func.count()).select_from(Asset).where(Asset.version_id == current("minimal").id)
                              ).scalar_one() == 3


def test_broken_package_keeps_its_version_while_another_imports(app, copy_course):
    path = copy_course("minimal")
    run_import([path])
    before = current("minimal")
    before_id, before_html = before.id, [m.html for m in modules(before.id)]
    (path / "course.toml").write_text('format = 1\ntitle = "Ødelagt\n', "utf-8")
    (path / "modules/01-intro.md").write_text("# Endret\n", "utf-8")
    second = copy_course("minimal-trinn-2")
    report = run_import([path, second])
    assert [i.slug for i in report.refused] == ["minimal"]
    assert [p.code for p in report.refused[0].problems] == ["E102"]
    assert [(i.slug, i.version) for i in report.new] == [("minimal-trinn-2", 1)]
    assert course("minimal").current_version_id == before_id
    assert [m.html for m in modules(before_id)] == before_html
    assert db.session.execute(select(func.count()).select_from(CourseVersion).where(
        CourseVersion.course_id == course("minimal").id)).scalar_one() == 1
    assert current("minimal-trinn-2").requires == ["minimal"]


def test_crash_while_writing_rolls_back_only_that_package(app, copy_course, monkeypatch):
    first, second = copy_course("minimal"), copy_course("minimal-trinn-2")
    run_import([first])
    before_id = course("minimal").current_version_id
    (first / "assets" / "ny.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)

    def crash(source, sha256, content_type=None):
        raise OSError("disk full")

    monkeypatch.setattr(importer, "store_asset", crash)
    report = run_import([first, second])
    assert [i.slug for i in report.refused] == ["minimal"]
    assert report.refused[0].problems[-1].code == "E190" and "disk full" in report.refused[0].problems[-1].message
    assert [i.slug for i in report.new] == ["minimal-trinn-2"]
    assert course("minimal").current_version_id == before_id
    assert db.session.execute(select(func.max(CourseVersion.number)).where(
        CourseVersion.course_id == course("minimal").id)).scalar_one() == 1


def test_import_only_flushes_so_the_caller_can_roll_back(app, copy_course):
    report = import_packages([copy_course("minimal"), copy_course("minimal-trinn-2")])
    assert len(report.new) == 2 and counts()["Course"] == 2
    db.session.rollback()  # savepoints must nest in the caller's transaction, on SQLite too
    assert counts() == {"Provider": 0, "Course": 0, "CourseVersion": 0, "Module": 0, "Asset": 0}


def test_renamed_folder_is_a_new_course_and_the_old_stays_published(app, copy_course, courses_dir):
    path = copy_course("minimal")
    run_import([path])
    old_version = course("minimal").current_version_id
    path.rename(courses_dir / "minimal-ny")
    report = run_import()
    assert [i.slug for i in report.new] == ["minimal-ny"]
    assert course("minimal").current_version_id == old_version  # a package that disappeared stays published


def test_manifest_slug_must_match_folder(app, copy_course):
    path = copy_course("minimal", as_slug="annet-navn")
    text = (path / "course.toml").read_text("utf-8")
    (path / "course.toml").write_text(text.replace("format = 1", 'format = 1\nslug = "minimal"'), "utf-8")
    report = run_import([path])
    assert [p.code for p in report.refused[0].problems if p.is_error] == ["E105"]
    assert counts()["Course"] == 0


def test_provider_named_after_slug_without_provider_name(app, copy_course):
    path = copy_course("minimal")
    text = (path / "course.toml").read_text("utf-8")
    text = text.replace('provider = "test-naeringshage"\nprovider_name = "Test Næringshage"\n', 'provider = "ny-hage"\n')
    (path / "course.toml").write_text(text, "utf-8")
    run_import([path])
    assert db.session.execute(select(Provider.name).where(Provider.slug == "ny-hage")).scalar_one() == "ny-hage"


def test_provider_kind_is_read_when_the_import_creates_the_provider_only(app, copy_course):
    path = copy_course("minimal")
    text = (path / "course.toml").read_text("utf-8")
    (path / "course.toml").write_text(text.replace('provider_name = "Test Næringshage"\n',
                                                   'provider_name = "Test Næringshage"\nprovider_kind = "library"\n'),
                                      "utf-8")
    run_import([path])
    provider = db.session.execute(select(Provider).where(Provider.slug == "test-naeringshage")).scalar_one()
    assert provider.kind == "library"
    provider.kind = "other"  # an admin's choice stands against what a later version of the package says
    db.session.commit()
    (path / "modules/01-intro.md").write_text((path / "modules/01-intro.md").read_text("utf-8") + "\nMer.\n", "utf-8")
    report = run_import([path])
    assert [i.version for i in report.updated] == [2]
    assert db.session.get(Provider, provider.id).kind == "other"


def test_the_demo_library_course_brings_its_library(app):
    from courseware.content.checker import check_package

    data, problems = check_package(Path(__file__).parent.parent / "courses" / "laserkutter-sikkerhet")
    assert not [p for p in problems if p.is_error]
    assert (data.provider, data.provider_kind, data.audience) == ("eksempel-bibliotek", "library", "public")


def test_course_of_another_provider_is_refused(app, copy_course):
    path = copy_course("minimal")
    run_import([path])
    text = (path / "course.toml").read_text("utf-8")
    (path / "course.toml").write_text(text.replace('"test-naeringshage"', '"annen-hage"'), "utf-8")
    report = run_import([path])
    assert [p.code for p in report.refused[0].problems] == ["E116"]
    assert current("minimal").number == 1


def test_requires_loop_refuses_an_unchanged_package_too(app, copy_course):
    first, second = copy_course("minimal"), copy_course("minimal-trinn-2")
    run_import([first, second])
    text = (first / "course.toml").read_text("utf-8")
    (first / "course.toml").write_text(text.replace("requires = []", 'requires = ["minimal-trinn-2"]'), "utf-8")
    report = run_import([first, second])
    assert sorted(i.slug for i in report.refused) == ["minimal", "minimal-trinn-2"]
    assert {p.code for i in report.refused for p in i.problems} == {"E152"}
    assert current("minimal").number == 1


def test_warnings_travel_with_imported_items(app, copy_course):
    path = copy_course("minimal")
    text = (path / "modules/01-intro.md").read_text("utf-8")
    (path / "modules/01-intro.md").write_text(text.replace("![Temperaturlogger på fjøsveggen]", "![]"), "utf-8")
    report = run_import([path])
    assert [p.code for p in report.new[0].problems] == ["W141"]


def test_cli_import(app, copy_course):
    copy_course("minimal")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    assert "new       minimal (version 1)" in result.output
    assert "unchanged minimal (version 1)" in runner.invoke(args=["import"]).output
    broken = copy_course("minimal-trinn-2", as_slug="odelagt")
    (broken / "course.toml").write_text("format = 9\n", "utf-8")
    result = runner.invoke(args=["import", str(broken)])
    assert result.exit_code == 1 and "refused   odelagt" in result.output and "E111" in result.output


def _big_package(root, slug, modules_count=10, words=600):
    (root / slug / "modules").mkdir(parents=True)
    (root / slug / "assets").mkdir()
    (root / slug / "assets" / "bilde.png").write_bytes(FIXTURE_PNG.read_bytes())
    (root / slug / "course.toml").write_text(f'format = 1\ntitle = "Kurs {slug}"\nprovider = "hage"\n', "utf-8")
    paragraph = " ".join(["Gården", "bruker", "sensorer", "og", "data", "hver", "dag."] * (words // 70))
    for n in range(1, modules_count + 1):
        body = "\n\n".join(f"## Del {i}\n\n{paragraph}\n\n- punkt\n- punkt" for i in range(10))
        (root / slug / "modules" / f"{n:02d}-modul-{n}.md").write_text(
            f"---\ntitle: Modul {n}\nobjectives: [Lære]\n---\n\n![Bilde](../assets/bilde.png)\n\n{body}\n", "utf-8")
    return root / slug


def test_unchanged_reimport_does_the_same_small_work_however_big_the_packages(app, courses_dir, count_queries,
                                                                           render_calls, monkeypatch):
    """Why it is fast (bench/import_and_serve.py measures how fast): only the file hashes and a few reads, no
    check, no rendering, no writes, and as many statements for 4 packages of 10 modules as for 4 of 1 module."""
    small = [_big_package(courses_dir, f"liten-{i}", modules_count=1, words=70) for i in range(4)]
    big = [_big_package(courses_dir, f"stor-{i}") for i in range(4)]
    assert len(run_import(small + big).new) == 8
    render_calls.clear()
    monkeypatch.setattr(importer, "check_package", lambda *a, **k: pytest.fail("an unchanged package was checked"))
    statements = {}
    for name, paths in (("small", small), ("big", big)):
        db.session.expire_all()
        with count_queries() as counter:
            assert len(run_import(paths).unchanged) == 4
        statements[name] = counter.statements
    assert render_calls == []
    assert statements["big"] == statements["small"] and len(statements["big"]) <= 3, statements
    assert not [s for s in statements["big"] if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_the_quiz_policy_is_stored_at_import_and_read_from_the_rows(app, copy_course):
    from courseware.services import catalogue, quiz

    path = copy_course("minimal")
    toml = (path / "course.toml").read_text("utf-8").replace(
        "pass_mark = 0.8", 'pass_mark = 0.8\nshow_answers = "never"\nattempts_per_day = 2')
    (path / "course.toml").write_text(toml, "utf-8")
    sensorer = path / "modules" / "02-sensorer.md"
    sensorer.write_text(sensorer.read_text("utf-8").replace("pass_mark: 0.75", "pass_mark: 0.75\n  draw: 1\n"
                                                            "  show_answers: after-pass"), "utf-8")
    run_import([path])
    version = current("minimal")
    assert (version.show_answers, version.attempts_per_day) == ("never", 2)
    stored = {m.key: m.quiz for m in modules(version.id)}
    assert (stored["sensorer"]["draw"], stored["sensorer"]["show_answers"]) == (1, "after-pass")
    module = catalogue.get_module("minimal", "sensorer")
    assert quiz.policy(module) == quiz.Policy("after-pass", 2) and quiz.draw_count(module) == 1
    view = catalogue.module_view(module.id, module.render_hash, version.id, version.source_hash, version.course_id,
                                 "minimal")  # the module page's copy
    assert quiz.policy(view) == quiz.policy(module) and quiz.draw_count(view) == 1
