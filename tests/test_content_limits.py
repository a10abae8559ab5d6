"""The limits that keep hostile input cheap, at their edges: the Markdown pre-check, nesting of settings, the
renderer's CPU budget, capped reading of files, and short values in messages."""
import os
import threading
import time
from pathlib import Path

import pytest

from courseware.content import precheck, render
from courseware.content.files import (
    DEEP_FOLDER, SPECIAL, FileTooLarge, NotRegularFile, PackageTooLarge, list_files, open_regular, read_capped,
)
from courseware.content.nesting import ALIAS, DEEP, MAX_SETTINGS_DEPTH, too_deep, toml_refusal, yaml_refusal
from courseware.content.package import ParseError, _Loader, parse_toml, parse_yaml
from courseware.content.problems import MAX_PROBLEMS_PER_FILE, Reporter, printable, shown


def refusal(text):
    found = precheck.check_markdown(text)
    return (found.kind, found.line) if found else None


# --- Markdown ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    ">" * 16 + " x",
    "> " * 16 + "x",
    "    " * 15 + "- x",
    "\t" * 15 + "1. x",
    "> - " * 8 + "x",
    ": " * 16 + "x",
    "- - - " * 20,  # a horizontal rule, not 60 lists
    "    " * 16 + "code",
])
def test_nesting_up_to_the_limit_is_fine(line):
    assert refusal(f"# T\n\n{line}\n") is None


@pytest.mark.parametrize("line", [
    ">" * 17 + " x",
    "> " * 17 + "x",
    "    " * 16 + "- x",
    "\t" * 16 + "1. x",
    "> - " * 8 + "> x",
    "- " * 17 + "x",
    "    " * 16 + "!!! note",
    " " * 100000 + "x",
])
def test_nesting_past_the_limit_is_refused_at_its_line(line):
    assert refusal(f"# T\n\n{line}\n") == (precheck.BLOCK_NESTING, 3)


def test_html_nesting_counts_block_elements_outside_code_spans():
    assert refusal("<div>" * 32 + "x" + "</div>" * 32) is None
    assert refusal("a\n\n" + "<section>" * 33) == (precheck.HTML_NESTING, 3)
    assert refusal("<div></div>" * 1000) is None
    assert refusal("<span>" * 1000 + "\n\n<slug> " * 100) is None  # inline elements and placeholders do not pile up
    assert refusal("Skriv `<div>` rundt.\n" * 100) is None
    assert refusal("` <div>\n" * 40) == (precheck.HTML_NESTING, 33)  # a lone backtick opens no code span


def test_nesting_that_markdown_adds_is_counted_in_its_html():
    text = "> " * 15 + "<div>" * 20  # within both limits in the source; 35 block elements deep in the HTML
    assert refusal(text) is None
    with pytest.raises(precheck.Refused) as refused:
        render.render_module(text, module_links={}, asset_paths=set())
    assert refused.value.refusal.kind == precheck.HTML_NESTING


def test_unclosed_openers_are_measured_by_how_far_they_are_scanned():
    assert refusal("[lenke](http://a.no) " * 5000) is None
    assert refusal("*[ABC]: x\n" + "(se over) " * 5000) is None
    assert refusal("# T\n\n" + "[" * 2000 + "x" + "]" * 2000) == (precheck.SCAN, 3)
    assert refusal("# T\n\n" + "<a " * 2000) == (precheck.SCAN, 3)
    assert refusal("<a\n\n" * 2000)[0] == precheck.SCAN  # the HTML parser reads past blank lines
    assert refusal("[a\n\n" * 2000) is None  # the link parser does not
    runs = "".join("`" * n + "x" for n in range(1, 101))  # no run as long as another: each scans to the end
    assert refusal(runs[:100] + " ord" * 20000) is None
    assert refusal(runs + " ord" * 20000) == (precheck.SCAN, 1)


def test_a_long_paragraph_full_of_markup_is_refused_but_not_when_split():
    paragraph = "a *b* _c_ `d` [e](http://f) <b>g</b> &amp; " * 2000
    assert refusal(paragraph) == (precheck.INLINE_WORK, 1)
    assert refusal(paragraph.replace("&amp; ", "&amp;\n\n")) is None


def test_toc_markers_and_abbreviations_are_counted():
    assert refusal("[TOC]\n\n" * 3) is None
    assert refusal("[TOC]\n\n" * 4) == (precheck.TOC_MARKERS, 7)
    abbreviations = "".join(f"*[A{n}]: x\n" for n in range(101))
    assert refusal(abbreviations[: abbreviations.index("*[A100]")]) is None
    assert refusal(abbreviations) == (precheck.ABBREVIATIONS, 101)


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="no interval timers on this platform")
def test_the_cpu_budget_stops_a_render_that_never_ends(monkeypatch):
    started = time.process_time()

    class Endless:
        def reset(self):
            return self

        def convert(self, text):
            while time.process_time() - started < 60:  # an unknown pathology (bounded only so a failure ends)
                pass
            return "<p>never</p>"

    monkeypatch.setattr(render, "_markdown", lambda language: Endless())
    with pytest.raises(precheck.Refused) as refused:
        render.render_module("x", module_links={}, asset_paths=set(), budget=0.2)
    assert refused.value.refusal.kind == precheck.BUDGET
    monkeypatch.undo()
    assert render.render_module("*ok*", module_links={}, asset_paths=set()).html == "<p><em>ok</em></p>"


def test_the_cpu_budget_is_left_alone_outside_the_main_thread():
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(
        render.render_module("*ok*", module_links={}, asset_paths=set(), budget=0.000001).html))
    thread.start()
    thread.join()
    assert outcome == ["<p><em>ok</em></p>"]


def test_video_placeholders_are_swapped_in_one_pass():
    text = "@[video](https://youtu.be/M7lc1UVf-VE)\n\n" * 300 + "@[video](https://example.com/x)\n"
    result = render.render_module(text, module_links={}, asset_paths=set())
    assert result.html.count("youtube-nocookie.com/embed/M7lc1UVf-VE") == 300
    assert "<p>@[video](https://example.com/x)</p>" in result.html and "cwvideo" not in result.html


# --- Settings ------------------------------------------------------------------------------------------------------


def test_toml_brackets_in_strings_and_comments_do_not_count():
    deep = "[" * 20
    assert toml_refusal(f'a = "{deep}"\nb = \'{deep}\'\n# {deep}\nc = """\n{deep}\n"""\n') is None
    assert toml_refusal('a = "\\"' + deep + '"') is None
    assert toml_refusal("x = 1\ny = " + "[" * (MAX_SETTINGS_DEPTH + 1)) == toml_refusal("x = 1\ny = " + "{a=" * 17)
    assert toml_refusal("x = 1\ny = " + "[" * (MAX_SETTINGS_DEPTH + 1)).line == 1
    assert toml_refusal("y = " + "[" * MAX_SETTINGS_DEPTH + "]" * MAX_SETTINGS_DEPTH) is None


def test_deep_toml_is_refused_before_tomllib_recurses():
    with pytest.raises(ParseError) as error:
        parse_toml("title = 'x'\nbilag = " + "[" * 100000, first_line=3)
    assert (error.value.code, error.value.line) == ("E161", 4)
    with pytest.raises(ParseError) as error:
        parse_toml("title = 'x'\n\nbilag" + ".a" * 40 + " = 1\n")
    assert (error.value.code, error.value.line) == ("E161", 3)


def test_yaml_anchors_aliases_and_deep_nesting_are_refused():
    assert yaml_refusal("a: &x 1\n", _Loader).kind == ALIAS
    with pytest.raises(ParseError) as error:
        parse_yaml("title: T\nb: [*x]\n", first_line=2)
    assert (error.value.code, error.value.line) == ("E162", 3)
    with pytest.raises(ParseError) as error:
        parse_yaml("title: T\nx: &a [1]\ny: [*a, *a]\n", first_line=2)
    assert (error.value.code, error.value.line) == ("E162", 3)
    deep = "".join("  " * n + "a:\n" for n in range(20)) + "  " * 20 + "b: 1\n"
    assert yaml_refusal(deep, _Loader).kind == DEEP
    assert parse_yaml("q:\n  - prompt: P\n    correct: [a]\n") == {"q": [{"prompt": "P", "correct": ["a"]}]}


def test_too_deep_measures_without_recursion():
    value = 1
    for _ in range(100000):
        value = {"a": [value]}
    assert too_deep(value) and not too_deep({"a": [[{"b": 1}]]})


def test_a_module_has_at_most_twenty_objectives_and_tasks(tmp_path):
    from courseware.content.fields import MAX_LIST_ITEMS, check_module_meta

    report = Reporter(tmp_path / "kurs")
    meta = {"title": "T", "objectives": ["Lære"] * MAX_LIST_ITEMS, "tasks": ["Gjøre"] * (MAX_LIST_ITEMS + 1)}
    check_module_meta(meta, "modules/01-a.md", ["---", "title: T", "objectives:", "tasks:"], report)
    assert [(p.code, p.line) for p in report.problems] == [("E129", 4)]


# --- Files ---------------------------------------------------------------------------------------------------------


def test_read_capped_reads_at_most_one_byte_past_the_cap(tmp_path):
    (tmp_path / "f.md").write_bytes(b"x" * 100)
    assert read_capped(tmp_path / "f.md", 100) == b"x" * 100
    with pytest.raises(FileTooLarge) as error:
        read_capped(tmp_path / "f.md", 99)
    assert error.value.size == 100
    proc = Path("/proc/self/status")  # a size of 0 that is not true: reading stops at cap + 1
    if proc.exists():
        with pytest.raises(FileTooLarge) as error:
            read_capped(proc, 16)
        assert error.value.size == 17


def test_pipes_and_links_are_never_opened_as_files(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # opening it for reading the usual way would wait for a writer forever
    with pytest.raises(NotRegularFile):
        open_regular(tmp_path / "pipe")
    os.symlink("/etc/hostname", tmp_path / "link")
    with pytest.raises(OSError):
        open_regular(tmp_path / "link")


def test_listing_stops_at_its_limits(tmp_path, monkeypatch):
    from courseware.content import files

    (tmp_path / "assets" / "a" / "b" / "c").mkdir(parents=True)
    os.mkfifo(tmp_path / "assets" / "pipe.png")
    monkeypatch.setattr(files, "MAX_FOLDER_DEPTH", 2)
    listed = {item.relpath: item.kind for item in list_files(tmp_path)}
    assert listed == {"assets/a/b": DEEP_FOLDER, "assets/pipe.png": SPECIAL}
    monkeypatch.setattr(files, "MAX_PACKAGE_FILES", 1)
    with pytest.raises(PackageTooLarge):
        list_files(tmp_path)


def test_hashing_stops_past_the_package_size(tmp_path, monkeypatch):
    from courseware.content import files

    (tmp_path / "a.pdf").write_bytes(b"x" * 100)
    assert files.package_hash(tmp_path) != files.package_hash(tmp_path, limit=10)
    monkeypatch.setattr(files, "MAX_PACKAGE_BYTES", 99)
    with pytest.raises(PackageTooLarge):
        files.package_hash(tmp_path)


# --- Messages ------------------------------------------------------------------------------------------------------


def test_values_in_messages_are_short_and_never_expanded():
    deep = 1
    for _ in range(100000):
        deep = {"a": deep}
    assert len(shown(deep)) < 40 and len(shown("x" * 10**6)) < 70 and len(shown(list(range(10**6)))) < 70
    assert shown("kort") == "'kort'"
    assert printable("a\nb\udcff") == "a\\nb\\udcff"


def test_a_reporter_shows_a_share_of_each_files_problems(tmp_path):
    report = Reporter(tmp_path / "kurs")
    for n in range(MAX_PROBLEMS_PER_FILE + 5):
        report.warning("modules/a.md", n, "W121", "x")
    report.error("modules/a.md", 1, "E142", "hidden, but counted")
    report.error("course.toml", 1, "E111", "shown")
    codes = [(p.path.rsplit("/", 1)[-1], p.code) for p in report.problems]
    assert codes.count(("a.md", "W121")) == MAX_PROBLEMS_PER_FILE and ("course.toml", "E111") in codes
    assert codes[-1] == ("a.md", "E191") and report.has_errors
    assert not report.accepts("modules/a.md") and report.accepts("modules/b.md")
