"""Translations: every user-facing string has a bokmål and a nynorsk translation, and the .mo files are current."""
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "courseware" / "translations"


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_catalogue_is_complete(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {lang}: {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", ["nb", "nn"])  # en: the msgids are English
def test_compiled_catalogue_matches_po(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as fh:
        po = read_po(fh)
    with open(folder / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def translated(m):
        return m.id and (all(m.string) if isinstance(m.string, (list, tuple)) else m.string)

    po_strings = {key(m.id): key(m.string) for m in po if translated(m) and not m.fuzzy}
    mo_strings = {key(m.id): key(m.string) for m in mo if translated(m)}
    assert po_strings == mo_strings, "run: pybabel compile -d courseware/translations"


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "nb"}  # the product's default (tests elsewhere run in English)


def test_pages_render_in_bokmal_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert "Kurs" in html and "Logg inn" in html


def test_pages_render_in_nynorsk_and_english(client):
    # test requests share the fixture's app context, where Flask-Babel caches the locale: refresh between them
    from flask_babel import refresh

    client.post("/language", data={"lang": "en"})
    refresh()
    assert "Log in" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "nn"})
    refresh()
    html = client.get("/").get_data(as_text=True)
    assert "Logg inn" in html and "Kursa mine" not in html and "Hopp til innhaldet" in html


def test_every_string_in_the_code_is_in_the_catalogues():
    """Extracting with babel.cfg (as the README's command does) finds no string the catalogues lack, and every
    template can be read by the extractor (a tag it does not know would silently drop a whole template)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = TRANSLATIONS.parent.parent
    with open(root / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "lazy_ngettext": (1, 2)}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    assert any(m == "Skip to content" for m in found)  # base.html, which uses {% cache %}
    for lang in ("nb", "nn"):
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(fh) if m.id}
        missing = sorted(found - known)
        assert not missing, f"{len(missing)} strings not in {lang}: {missing[:10]}"
