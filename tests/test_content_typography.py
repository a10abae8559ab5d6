"""Long modules read well: typographic quotes and dashes per language (never in code), <kbd>, code kept inside list
items, and an "On this page" list on the module page."""
import re

import pytest

from courseware.content import lists
from courseware.content.render import render_module


def html(text, language="nb"):
    return render_module(text, module_links={}, asset_paths=set(), language=language).html


@pytest.mark.parametrize("language, expected", [
    ("nb", "<p>Han sa «hei» og ‘hallo’ – og — så…</p>"),
    ("nn", "<p>Han sa «hei» og ‘hallo’ – og — så…</p>"),
    ("en", "<p>Han sa “hei” og ‘hallo’ – og — så…</p>"),
])
def test_quotes_and_dashes_follow_the_language(language, expected):
    assert html("Han sa \"hei\" og 'hallo' -- og --- så...", language) == expected


def test_apostrophes_and_number_ranges():
    assert html("Ola's bil, 1990--2000.") == "<p>Ola’s bil, 1990–2000.</p>"


def test_code_keeps_its_characters():
    out = html('Skriv `"x" -- y...` her.\n\n```\nprint("a" -- \'b\'...)\n```\n\n    "innrykket" -- kode\n')
    assert '<code>"x" -- y...</code>' in out
    assert "print(\"a\" -- 'b'...)" in out
    assert '"innrykket" -- kode' in out


def test_quotes_in_headings_keep_plain_ids():
    result = render_module('## Hva er "data"?', module_links={}, asset_paths=set())
    assert result.toc == [{"level": 2, "id": "hva-er-data", "title": "Hva er «data»?"}]


def test_kbd_is_allowed():
    assert html("Trykk <kbd>Ctrl</kbd>+<kbd>C</kbd>.") == "<p>Trykk <kbd>Ctrl</kbd>+<kbd>C</kbd>.</p>"


def test_kbd_is_styled():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "courseware" / "static" / "css" / "app.css").read_text("utf-8")
    assert re.search(r"\.prose kbd \{[^}]*border", css)


@pytest.mark.parametrize("text", [
    "1. Kjør kommandoen:\n\n   ```bash\n   ls -l\n   ```\n\n2. Se resultatet.\n",  # indented to the text (3)
    "1. Kjør kommandoen:\n\n    ```bash\n    ls -l\n    ```\n\n2. Se resultatet.\n",  # four spaces
    "- Kjør kommandoen:\n\n  ```bash\n  ls -l\n  ```\n\n- Se resultatet.\n",  # indented to the text (2)
    "- Kjør kommandoen:\n\n  ~~~bash\n  ls -l\n  ~~~\n\n- Se resultatet.\n",
])
def test_code_indented_in_a_list_item_stays_in_the_list(text):
    out = re.sub(r"\s+", "", html(text))
    assert re.fullmatch(r"<(ul|ol)><li><p>Kjørkommandoen:</p><divclass=\"code-block\">.*?<pre[^>]*>.*?</pre>"
                        r"</div></div></li><li><p>Seresultatet.</p></li></\1>", out), out
    assert re.sub(r"<[^>]+>", "", out.split("<pre", 1)[1].split(">", 1)[1].split("</pre>")[0]) == "ls-l"


def test_code_after_a_list_stays_after_it():
    out = html("- a\n\n```\nutenfor\n```\n\n- b\n")
    assert out.count("<ul>") == 2 and '</ul>\n<div class="code-block">' in out


def test_list_code_keeps_line_count_and_relative_indent():
    lines = ["- Steg", "", "  ```", "  kode", "    innrykk", "  ```", "", "- neste"]
    out = lists.indent_list_code(lines)
    assert len(out) == len(lines)
    assert out[2:6] == ["    ```", "    kode", "      innrykk", "    ```"]


LONG_MODULE = "---\ntitle: Lang modul\nobjectives: [a]\n---\n\n# Lang modul\n\n" + "".join(
    f"## Del {n}\n\nTekst om del {n}.\n\n### Detalj {n}\n\nMer.\n\n" for n in range(1, 4))


def test_module_page_shows_on_this_page_for_long_modules(client, copy_course, login_as, app):
    from courseware.content.importer import import_packages
    from courseware.extensions import db

    pkg = copy_course("minimal")
    (pkg / "modules" / "03-veien-videre.md").write_text(LONG_MODULE, "utf-8")
    assert not import_packages([pkg]).refused
    db.session.commit()
    login_as("learner")
    page = client.get("/courses/minimal/veien-videre").get_data(as_text=True)
    nav = re.search(r'<nav class="module-toc" id="toc"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, page
    assert re.findall(r'href="#([^"]+)"', nav.group(1)) == ["del-1", "detalj-1", "del-2", "detalj-2", "del-3",
                                                            "detalj-3"]
    short = client.get("/courses/minimal/intro").get_data(as_text=True)
    assert 'class="module-toc"' not in short
