"""Hostile course packages never take the platform down: each is refused at a sensible path and line, or imported
within the rules, and a good package beside them all is still imported by `check`, `import` and `init`.

The packages are fixtures in tests/fixtures/courses/hostile/; what a repository cannot hold (pipes, symlinks,
unreadable and terabyte-sized files, thousands of files, undecodable names) is made here. No assertion is about
time: the work is bounded by the limits themselves (a test that did the unbounded work would not finish).
"""
import os
import shutil
from pathlib import Path

import pytest

from courseware import create_app
from courseware.content import files
from courseware.content.checker import check_package
from courseware.content.importer import import_packages
from courseware.content.problems import MAX_MESSAGE_CHARS, MAX_PROBLEMS_PER_FILE
from courseware.extensions import db
from courseware.models import Course

from .conftest import FIXTURE_COURSES, _test_config

HOSTILE = FIXTURE_COURSES / "hostile"
START = "modules/01-start.md"

# package: (code, path inside the package, line) of an error the checker must report
REFUSED = {
    "toml-deep-arrays": ("E161", "course.toml", 5),
    "toml-deep-inline-tables": ("E161", "course.toml", 5),
    "toml-dotted-keys": ("E161", "course.toml", 5),
    "toml-huge-number": ("E102", "course.toml", 5),
    "toml-front-matter-deep": ("E161", START, 5),
    "yaml-billion-laughs": ("E162", START, 6),
    "yaml-deep-flow": ("E161", START, 6),
    "yaml-deep-block": ("E161", START, 22),
    "huge-values": ("E114", "course.toml", 5),
    "md-nested-brackets": ("E164", START, 10),
    "md-a-runs": ("E164", START, 10),
    "md-nested-spans": ("E164", START, 10),
    "md-nested-quotes": ("E163", START, 10),
    "md-nested-lists": ("E163", START, 26),
    "md-nested-html": ("E163", START, 10),
    "md-nested-fenced-blocks": ("E163", START, 26),
    "front-matter-misspelt": ("E170", START, 1),
    "md-toc-markers": ("E164", START, 18),
    "md-abbreviations": ("E164", START, 110),
    "quiz-too-many-questions": ("E165", START, 6),
    "quiz-too-many-answers": ("E166", START, 8),
    "many-broken-links": ("E142", START, 10),
    "dir-named-like-module": ("E109", "modules/02-mappe.md/notat.md", 1),
    "dir-named-like-manifest": ("E109", "course.toml", 1),
}
IMPORTED = ["page-ids", "many-unknown-settings", "heading-backtracking"]


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in HOSTILE.iterdir() if p.is_dir()) == sorted([*REFUSED, *IMPORTED])


def _found(problems, root):
    return [(p.code, p.path.removeprefix(f"{root}/"), p.line) for p in problems]


def _reporter_root(path):
    from courseware.content.problems import display_root

    return display_root(path)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_fixture_is_refused_at_its_line(copy_course, name):
    path = copy_course(name, source=HOSTILE)
    data, problems = check_package(path)
    assert data is None
    assert REFUSED[name] in _found(problems, _reporter_root(path)), [str(p) for p in problems]
    assert not [p for p in problems if p.code == "E190"]
    assert all(len(p.message) <= MAX_MESSAGE_CHARS and "\n" not in str(p) for p in problems)
    report = import_packages([path])
    assert [item.slug for item in report.refused] == [name] and not report.new


def test_huge_values_are_shortened_in_messages(copy_course):
    problems = check_package(copy_course("huge-values", source=HOSTILE))[1]
    stage = next(p for p in problems if p.code == "E114")
    minutes = next(p for p in problems if p.code == "E129")
    assert len(stage.message) < 200 and "..." in stage.message and "xxxx" in stage.message
    assert len(minutes.message) < 200 and "..." in minutes.message
    assert any(p.code == "W121" and "'1'" in p.message for p in problems)  # a number as a key is no crash


def test_a_file_shows_at_most_its_share_of_problems(copy_course):
    problems = check_package(copy_course("many-broken-links", source=HOSTILE))[1]
    assert [p.code for p in problems] == ["E142"] * MAX_PROBLEMS_PER_FILE + ["E191"]
    assert [p.line for p in problems[:3]] == [10, 12, 14]


def test_warnings_past_the_share_are_summed_up_and_the_package_imports(copy_course):
    path = copy_course("many-unknown-settings", source=HOSTILE)
    problems = check_package(path)[1]
    assert [p.code for p in problems] == ["W121"] * MAX_PROBLEMS_PER_FILE + ["W191"]
    report = import_packages([path])
    assert [item.slug for item in report.new] == ["many-unknown-settings"]


def test_a_heading_that_made_the_title_regex_backtrack_imports(import_course):
    outline = import_course("heading-backtracking", source=HOSTILE).current_version.outline
    assert outline[0]["title"].startswith("a ") and len(outline[0]["title"]) == 300


# --- What a repository cannot hold: made here -------------------------------------------------------------------


def _package(root: Path, slug: str) -> Path:
    path = root / slug
    shutil.copytree(HOSTILE / "page-ids", path)
    return path


def _fifo_manifest(root):
    path = _package(root, "fifo-manifest")
    (path / "course.toml").unlink()
    os.mkfifo(path / "course.toml")
    return path, ("E160", "course.toml", 1)


def _fifo_module(root):
    path = _package(root, "fifo-module")
    os.mkfifo(path / "modules" / "03-ror.md")
    return path, ("E160", "modules/03-ror.md", 1)


def _symlinks_out(root):
    path = _package(root, "symlinks-out")
    (path / "assets").mkdir()
    os.symlink("/dev/zero", path / "assets" / "null.png")
    os.symlink("/etc/passwd", path / "modules" / "03-passord.md")
    os.symlink("../../..", path / "assets" / "opp")
    return path, ("E107", "modules/03-passord.md", 1)


def _symlinked_manifest(root):
    path = _package(root, "symlinked-manifest")
    (path / "course.toml").unlink()
    os.symlink("/dev/zero", path / "course.toml")
    return path, ("E107", "course.toml", 1)


def _symlinked_package(root):
    os.symlink("/", root / "symlink-to-root")
    return root / "symlink-to-root", ("E107", "", 1)


def _huge_module(root):
    path = _package(root, "huge-module")
    _sparse(path / "modules" / "03-stor.md")
    return path, ("E108", "modules/03-stor.md", 1)


def _huge_readme_and_asset(root):
    path = _package(root, "huge-readme")
    (path / "assets").mkdir()
    _sparse(path / "README.md")
    _sparse(path / "assets" / "film.mp4")
    return path, ("E108", "README.md", 1)


def _sparse(path: Path) -> None:
    """A file of 64 GiB that takes no disk space: reading it whole would never finish (or run out of memory)."""
    path.touch()
    try:
        os.truncate(path, 64 << 30)
    except OSError:  # a file system without sparse files: just over the caps then
        os.truncate(path, (20 << 20) + 1)


def _too_many_files(root):
    path = _package(root, "too-many-files")
    (path / "assets").mkdir()
    for n in range(files.MAX_PACKAGE_FILES):
        (path / "assets" / f"{n}.pdf").write_bytes(b"%PDF-1.4\n")
    return path, ("E167", "", 1)


def _too_large_package(root):
    path = _package(root, "too-large-package")
    (path / "assets").mkdir()
    for n in range(files.MAX_PACKAGE_BYTES // (20 << 20) + 1):  # each just within the 20 MiB of one asset
        with open(path / "assets" / f"film-{n}.mp4", "wb") as fh:
            fh.truncate(20 << 20)
    return path, ("E167", "", 1)


def _too_many_modules(root):
    path = _package(root, "too-many-modules")
    for n in range(3, 103):
        (path / "modules" / f"{n:03d}-m{n}.md").write_text(f"---\ntitle: M{n}\n---\n", "utf-8")
    return path, ("E167", "modules", 1)


def _deep_folders(root):
    path = _package(root, "deep-folders")
    deep = path / "assets" / "/".join(["a"] * 30)
    deep.mkdir(parents=True)
    (deep / "x.pdf").write_bytes(b"%PDF-1.4\n")
    return path, ("E109", "assets/" + "/".join(["a"] * files.MAX_FOLDER_DEPTH), 1)


def _odd_names(root):
    path = _package(root, "odd-names")
    (path / "assets").mkdir()
    (Path(os.fsdecode(bytes(path / "assets") + b"/\xff\xfe.pdf"))).write_bytes(b"%PDF-1.4\n")
    (path / "assets" / "x.pdf\nforged.md:1: E000 a line of its own.pdf").write_bytes(b"%PDF-1.4\n")
    return path, ("E109", "assets/\\udcff\\udcfe.pdf", 1)


def _odd_folder_name(root):
    path = Path(os.fsdecode(bytes(root) + b"/kurs-\xff"))
    shutil.copytree(HOSTILE / "page-ids", path)
    return path, ("E104", "", 1)


MADE = [_fifo_manifest, _fifo_module, _symlinks_out, _symlinked_manifest, _symlinked_package, _huge_module,
        _huge_readme_and_asset, _too_many_files, _too_large_package, _too_many_modules, _deep_folders, _odd_names,
        _odd_folder_name]


@pytest.mark.parametrize("make", MADE, ids=[m.__name__.strip("_") for m in MADE])
def test_hostile_folder_is_refused_without_reading_too_much(courses_dir, make):
    path, expected = make(courses_dir)
    data, problems = check_package(path)
    root = _reporter_root(path)
    found = [(p.code, p.path.removeprefix(root).removeprefix("/"), p.line) for p in problems]
    assert data is None and expected in found, [str(p) for p in problems]
    assert not [p for p in problems if p.code == "E190"]
    assert all(str(p).isprintable() for p in problems)
    report = import_packages([path])
    assert len(report.refused) == 1 and not report.new


def test_an_unreadable_module_is_an_error_of_its_own(courses_dir, monkeypatch):
    path = _package(courses_dir, "unreadable")
    module = path / "modules" / "02-neste.md"
    module.chmod(0)
    real_open = os.open

    def guarded_open(name, flags, *args, **kwargs):  # what chmod 000 does for anyone but root
        if Path(name) == module:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", guarded_open)
    data, problems = check_package(path)
    assert data is None
    unreadable = [p for p in problems if p.code == "E160"]
    assert [(p.path.rsplit("/", 2)[-2:], p.line) for p in unreadable] == [(["modules", "02-neste.md"], 1)]
    assert "permission" in unreadable[0].message
    assert [p.code for p in problems if p.is_error and p not in unreadable] == ["E143"]  # the link to it


def test_an_exception_inside_one_module_is_that_modules_error(copy_course, monkeypatch):
    from courseware.content import checker

    path = copy_course("minimal")
    real = checker.split_front_matter

    def explode(text):
        if "Sensorer i fjøset" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text)

    monkeypatch.setattr(checker, "split_front_matter", explode)
    data, problems = check_package(path)
    assert data is None
    errors = [(p.code, p.path.rsplit("/", 1)[-1]) for p in problems if p.is_error]
    assert errors == [("E190", "02-sensorer.md"), ("E143", "01-intro.md")]  # the others checked on


# --- The commands go on with the good package --------------------------------------------------------------------


def _fill(courses: Path) -> list[str]:
    """Every hostile package, made or copied, and the good package `minimal`; returns the hostile slugs shown."""
    for name in [*REFUSED, *IMPORTED]:
        shutil.copytree(HOSTILE / name, courses / name)
    for make in MADE:
        make(courses)
    shutil.copytree(FIXTURE_COURSES / "minimal", courses / "minimal")
    return sorted(REFUSED)


def test_check_goes_on_past_every_hostile_package(app, courses_dir):
    refused = _fill(courses_dir)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.splitlines()
    assert not [line for line in lines if "/minimal/" in line and ": E" in line]
    for slug in refused:
        assert any(f"courses/{slug}/" in line and ": E" in line for line in lines), slug
    assert not [line for line in lines if line.startswith("forged.md")]  # a newline in a name makes no line
    assert all(line.isprintable() for line in lines)


def test_import_goes_on_past_every_hostile_package(app, courses_dir):
    refused = _fill(courses_dir)
    result = app.test_cli_runner().invoke(args=["import"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "new       minimal (version 1)" in result.output
    for slug in refused:
        assert f"refused   {slug}" in result.output
    for slug in IMPORTED:
        assert f"new       {slug} (version 1)" in result.output
    assert "refused   kurs-\\udcff" in result.output
    db.session.expire_all()
    slugs = db.session.execute(db.select(Course.slug)).scalars().all()
    assert sorted(slugs) == sorted(["minimal", *IMPORTED])


def test_init_goes_on_past_every_hostile_package(tmp_path):
    (tmp_path / "courses").mkdir()
    _fill(tmp_path / "courses")
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'init.db'}", tmp_path))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "new       minimal (version 1)" in result.output and "one-time link" in result.output
        assert db.session.execute(db.select(Course.slug).where(Course.slug == "minimal")).scalar_one()
        db.session.remove()
        db.engine.dispose()
