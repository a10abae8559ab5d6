"""The studio editor's text conversions (services/course_text.py): course.toml and a module's front matter go
through the forms and back without losing anything, settings the forms do not show included, and a file the form
cannot show faithfully is said to be so (the editor then offers the whole file as text)."""
import tomllib

import pytest

from courseware.content.package import split_front_matter
from courseware.services import course_text


MANIFEST = """# Kept: the comment at the top.
format = 1
title = "Kurs"
summary = "Et kurs."
provider = "test-naeringshage"
provider_name = "Test Næringshage"
industry = "C"
stage = 2
language = "nn"
audience = "public"
estimated_minutes = 90
requires = ["forste-kurs"]
modules = ["01-a.md", "02-b.md"]
dimensions = ["data", "human"]

[completion]
pass_mark = 0.75
show_answers = "never"
attempts_per_day = 3
future_setting = "x"

[certificate]
enabled = false
signer_name = "Kari"
signer_title = "Leder"
valid_years = 2

[[partners]]
name = "NIBIO"
role = "Fagpartner"
url = "https://www.nibio.no"
logo = "nibio.png"

[[partners]]
name = "Bondelaget"
"""


def test_course_toml_round_trip_keeps_every_field_and_unknown_keys():
    settings = course_text.manifest_settings(MANIFEST)
    assert settings["language"] == "nn" and settings["requires"] == ["forste-kurs"] and settings["stage"] == 2
    assert settings["partners"][0] == {"name": "NIBIO", "role": "Fagpartner", "url": "https://www.nibio.no"}
    text = course_text.manifest_text(settings, "test-naeringshage", "Test Næringshage", MANIFEST)
    assert text.startswith("# Kept: the comment at the top.\n")
    assert tomllib.loads(text) == tomllib.loads(MANIFEST)  # nothing lost, nothing added
    assert course_text.manifest_settings(text) == settings
    assert "[[partners]]" in text


def test_course_toml_from_a_changed_form_keeps_the_rest():
    settings = course_text.manifest_settings(MANIFEST)
    settings.update(title="Nytt navn", requires=[], partners=[{"name": "", "role": "", "url": ""},
                                                              {"name": "Bondelaget", "role": "Støtte", "url": ""},
                                                              {"name": "Ny", "role": "", "url": ""}])
    data = tomllib.loads(course_text.manifest_text(settings, "test-naeringshage", "Test Næringshage", MANIFEST))
    assert data["title"] == "Nytt navn" and data["requires"] == []
    assert data["partners"] == [{"name": "Bondelaget", "role": "Støtte"}, {"name": "Ny"}]
    assert data["dimensions"] == ["data", "human"] and data["completion"]["future_setting"] == "x"
    assert data["modules"] == ["01-a.md", "02-b.md"]


@pytest.mark.parametrize("bad", ['stage = "2"', 'language = "de"', "[certificate]\nenabled = 1", "title = ["])
def test_a_manifest_the_form_cannot_show_is_not_representable(bad):
    text = "format = 1\ntitle = \"x\"\nprovider = \"p\"\n" if not bad.startswith("title") else "format = 1\n"
    assert course_text.manifest_settings(text + bad + "\n") is None


MODULE = """---
title: Sensorer
key: sensorer
minutes: 20
objectives:
  - Kjenne til sensorer
tasks:
  - Finn målingene
extra_setting: beholdes
quiz:
  pass_mark: 0.75
  draw: 1
  show_answers: always
  questions:
    - prompt: "Hva måler en logger?"
      correct: [Temperatur]
      wrong: [Melk, "1990"]
      explain: Den logger.
    - prompt: Nei eller ja?
      correct: Nei
      wrong: [Ja]
---

# Sensorer

Tekst.
"""


def test_module_round_trip_keeps_fields_the_form_does_not_show():
    values = course_text.module_fields(MODULE)
    assert values["questions"][1] == {"prompt": "Nei eller ja?", "correct": ["Nei"], "wrong": ["Ja"], "explain": ""}
    text = course_text.module_text(values, MODULE)
    assert course_text.module_fields(text) == values
    meta = split_front_matter(text).meta
    assert meta["extra_setting"] == "beholdes"
    assert meta["quiz"]["draw"] == 1 and meta["quiz"]["show_answers"] == "always"
    assert meta["quiz"]["questions"][0]["wrong"] == ["Melk", "1990"]
    assert split_front_matter(text).body == split_front_matter(MODULE).body


def test_a_changed_module_form_writes_yaml_and_toml_stays_toml():
    values = course_text.module_fields(MODULE)
    values.update(title="Nytt", objectives=[], questions=[], pass_mark=None, body="# Ny\n")
    meta = split_front_matter(course_text.module_text(values, MODULE)).meta
    assert "quiz" not in meta and "objectives" not in meta and meta["title"] == "Nytt"
    assert meta["extra_setting"] == "beholdes"
    toml_module = '+++\ntitle = "T"\nminutes = 5\n+++\n\nTekst\n'
    values = course_text.module_fields(toml_module)
    text = course_text.module_text({**values, "minutes": 6}, toml_module)
    assert text.startswith("+++\n") and split_front_matter(text).meta == {"title": "T", "minutes": 6}


@pytest.mark.parametrize("front", ["minutes: 20 min", "objectives:\n  - a: b", "title: [x", "quiz: yes please",
                                   "quiz:\n  questions:\n    - prompt: x\n      hint: y", "- a list"])
def test_front_matter_the_form_cannot_show_is_not_representable(front):
    assert course_text.module_fields(f"---\n{front}\n---\n\n# T\n") is None


def test_slugify_makes_keys_from_norwegian_titles():
    assert course_text.slugify("Sensorer i fjøset – Æ og Å!") == "sensorer-i-fjoset-ae-og-a"
    assert course_text.slugify("???") == "module"


def test_the_modules_list_alone_is_rewritten_keeping_comments():
    text = '# top\nformat = 1\nmodules = ["01-a.md", "02-b.md"]  # the order\n\n[completion]\npass_mark = 0.8 # eighty\n'
    out = course_text.with_module_list(text, ["02-b.md", "01-a.md"])
    assert tomllib.loads(out)["modules"] == ["02-b.md", "01-a.md"] and "# eighty" in out and out.startswith("# top")
    assert course_text.with_module_list('format = 1\n', ["x.md"]) == 'format = 1\n'  # no list: none added


def test_empty_settings_are_shown_empty():
    values = course_text.module_fields("---\ntitle:\nkey:\nminutes:\nobjectives:\n---\nTekst\n")
    assert values["title"] == "" and values["key"] == "" and values["minutes"] is None and values["objectives"] == []
