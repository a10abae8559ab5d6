"""The studio editor's forms as file text and back: `course.toml` <-> course settings, a module <-> its front matter
fields and Markdown body (COURSE_FORMAT.md).

Pure functions, no database. The rule is "the form never loses anything": settings and front matter that the forms
do not show (unknown keys, a quiz's `draw`, a partner's extra keys) are carried over from the stored text, and a
file whose values the form cannot show faithfully (a value of the wrong type, front matter that does not parse)
is reported as not representable, so the editor offers the whole file as text instead. Files are only rewritten
from a form: what the checker should say about the values is left to the checker.
"""
from __future__ import annotations

import re
import unicodedata

import tomli_w
import yaml

from ..content.fields import AUDIENCES, DEFAULT_PASS_MARK, INDUSTRIES, LANGUAGES, SHOW_ANSWERS
from ..content.package import ParseError, default_module_key, parse_toml, split_front_matter

MODULE_FIELDS = ("title", "key", "minutes", "objectives", "tasks", "quiz")
QUESTION_FIELDS = ("prompt", "correct", "wrong", "explain")
# The order course.toml is written in (the order of COURSE_FORMAT.md); unknown keys follow the known ones.
MANIFEST_ORDER = ("format", "title", "summary", "provider", "provider_name", "slug", "industry", "stage", "language",
                  "audience", "estimated_minutes", "requires", "modules")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line(value) -> bool:
    """A value a one-line text box shows as it is (numbers become text, which the format reads the same)."""
    return (isinstance(value, str) and "\n" not in value) or _number(value)


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def normalise(text: str) -> str:
    """Browsers send \\r\\n from a textarea; files keep \\n."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def lines_of(text: str) -> list[str]:
    """One item per non-empty line of a textarea (objectives, tasks, answers)."""
    return [line.strip() for line in normalise(text).split("\n") if line.strip()]


# --- course.toml ------------------------------------------------------------------------------------------------

def parse_manifest(text: str) -> dict | None:
    """course.toml as a dict, or None when it does not parse."""
    try:
        data = parse_toml(text)
    except ParseError:
        return None
    return data if isinstance(data, dict) else None


def manifest_settings(text: str) -> dict | None:
    """The settings form's values from course.toml, or None when the form cannot show them faithfully."""
    data = parse_manifest(text)
    if data is None:
        return None
    completion, certificate = data.get("completion", {}), data.get("certificate", {})
    partners = data.get("partners", [])
    checks = [
        all(isinstance(data.get(k, ""), str) for k in ("title", "summary", "provider", "provider_name", "slug")),
        data.get("industry", "") == "" or (isinstance(data.get("industry"), str) and len(data["industry"]) == 1
                                           and data["industry"].upper() in INDUSTRIES),
        _whole(data.get("stage", 1)), data.get("language", "nb") in LANGUAGES,
        data.get("audience", "firms") in AUDIENCES,
        data.get("estimated_minutes") is None or _whole(data.get("estimated_minutes")),
        isinstance(data.get("requires", []), list) and all(isinstance(s, str) for s in data.get("requires", [])),
        isinstance(completion, dict) and isinstance(certificate, dict) and isinstance(partners, list),
    ]
    if not all(checks):
        return None
    checks = [
        _number(completion.get("pass_mark", DEFAULT_PASS_MARK)),
        completion.get("show_answers", SHOW_ANSWERS[0]) in SHOW_ANSWERS,
        _whole(completion.get("attempts_per_day", 0)),
        isinstance(certificate.get("enabled", True), bool), _whole(certificate.get("valid_years", 0)),
        all(isinstance(certificate.get(k, ""), str) for k in ("signer_name", "signer_title")),
        all(isinstance(p, dict) and all(_line(p.get(k, "")) for k in ("name", "role", "url")) for p in partners),
    ]
    if not all(checks):
        return None
    return {
        "title": data.get("title", ""), "summary": data.get("summary", ""),
        "industry": data.get("industry", "").upper(), "stage": data.get("stage", 1),
        "language": data.get("language", "nb"), "audience": data.get("audience", "firms"),
        "estimated_minutes": data.get("estimated_minutes"), "requires": list(data.get("requires", [])),
        "pass_mark": completion.get("pass_mark", DEFAULT_PASS_MARK),
        "show_answers": completion.get("show_answers", SHOW_ANSWERS[0]),
        "attempts_per_day": completion.get("attempts_per_day", 0),
        "certificate_enabled": certificate.get("enabled", True),
        "signer_name": certificate.get("signer_name", ""), "signer_title": certificate.get("signer_title", ""),
        "valid_years": certificate.get("valid_years", 0),
        "partners": [{k: _text(p.get(k, "")) for k in ("name", "role", "url")} for p in partners],
    }


def manifest_text(settings: dict, provider: str, provider_name: str, stored: str | None = None) -> str:
    """course.toml for the form's `settings`, owned by `provider`; keys of the `stored` text the form does not
    show are kept, and so are its leading comment lines."""
    old = parse_manifest(stored) if stored else None
    old = old or {}
    top = {"format": old.get("format", 1), "title": settings["title"].strip()}
    if settings.get("summary", "").strip() or "summary" in old:
        top["summary"] = normalise(settings.get("summary", "")).strip()
    top["provider"] = provider
    if provider_name:
        top["provider_name"] = provider_name
    if "slug" in old:
        top["slug"] = old["slug"]
    if settings.get("industry"):
        top["industry"] = settings["industry"]
    top["stage"] = settings.get("stage") or 1
    top["language"] = settings.get("language") or "nb"
    top["audience"] = settings.get("audience") or "firms"
    if settings.get("estimated_minutes") is not None:
        top["estimated_minutes"] = settings["estimated_minutes"]
    top["requires"] = list(dict.fromkeys(settings.get("requires") or []))
    if "modules" in old:
        top["modules"] = old["modules"]
    for key, value in old.items():  # unknown settings, kept where they were
        if key not in top and key not in MANIFEST_ORDER and key not in ("completion", "certificate", "partners"):
            top[key] = value
    completion = dict(old.get("completion") or {}) if isinstance(old.get("completion"), dict) else {}
    completion["pass_mark"] = settings.get("pass_mark", DEFAULT_PASS_MARK)
    for key, default in (("show_answers", SHOW_ANSWERS[0]), ("attempts_per_day", 0)):
        value = settings.get(key, default)
        if value != default or key in completion:
            completion[key] = value
    certificate = dict(old.get("certificate") or {}) if isinstance(old.get("certificate"), dict) else {}
    certificate.update({"enabled": bool(settings.get("certificate_enabled", True)),
                        "signer_name": settings.get("signer_name", "").strip(),
                        "signer_title": settings.get("signer_title", "").strip(),
                        "valid_years": settings.get("valid_years") or 0})
    top["completion"], top["certificate"] = completion, certificate
    partners = _partners(settings.get("partners") or [], old.get("partners"))
    return _leading_comments(stored) + _dump_manifest(top, partners)


def _partners(rows: list[dict], old) -> list[dict]:
    """The form's partner rows (row i was prefilled from stored partner i, whose other keys it keeps); empty rows
    are left out."""
    old = old if isinstance(old, list) else []
    out = []
    for index, row in enumerate(rows):
        values = {k: (row.get(k) or "").strip() for k in ("name", "role", "url")}
        if not any(values.values()):
            continue
        partner = dict(old[index]) if index < len(old) and isinstance(old[index], dict) else {}
        for key in ("name", "role", "url"):
            if values[key] or key == "name":
                partner[key] = values[key]
            else:
                partner.pop(key, None)
        known = {k: partner[k] for k in ("name", "role", "url") if k in partner}
        out.append({**known, **{k: v for k, v in partner.items() if k not in known}})
    return out


def _dump_manifest(top: dict, partners: list[dict]) -> str:
    if any(isinstance(v, (dict, list)) for p in partners for v in p.values()):
        return tomli_w.dumps({**top, "partners": partners})  # nested values: tomli-w places them correctly
    text = tomli_w.dumps(top)
    for partner in partners:  # [[partners]] tables, as COURSE_FORMAT.md writes them (tomli-w would inline them)
        text += "\n[[partners]]\n" + tomli_w.dumps(partner)
    return text


def _leading_comments(stored: str | None) -> str:
    kept = []
    for line in (stored or "").split("\n"):
        if not line.startswith("#"):
            break
        kept.append(line)
    return "".join(line + "\n" for line in kept)


_MODULES_LIST = re.compile(r"^modules[ \t]*=[ \t]*\[[^\]]*\](?=[ \t]*(?:#.*)?$)", re.M)


def with_module_list(text: str, names: list[str]) -> str:
    """course.toml with its `modules = [...]` list set to `names` (unchanged when it has none). The list alone is
    rewritten, keeping the rest of the file as written; a file where that is unsafe is rewritten whole."""
    data = parse_manifest(text)
    if data is None or "modules" not in data:
        return text
    line = "modules = [" + ", ".join(toml_string(name) for name in names) + "]"
    if len(_MODULES_LIST.findall(text)) == 1:
        candidate = _MODULES_LIST.sub(lambda _m: line, text)
        again = parse_manifest(candidate)
        if again is not None and again.get("modules") == names and {**again, "modules": 0} == {**data, "modules": 0}:
            return candidate
    data["modules"] = names
    return _leading_comments(text) + tomli_w.dumps(data)


def manifest_module_list(text: str) -> list[str] | None:
    """The manifest's `modules` list (file names), or None when it has none or it is not a list of names."""
    data = parse_manifest(text) or {}
    names = data.get("modules")
    return names if isinstance(names, list) and all(isinstance(n, str) for n in names) else None


# --- modules ----------------------------------------------------------------------------------------------------

def split_module(text: str):
    """(meta dict, body, kind) of a module, or None when its front matter does not parse or is not settings."""
    try:
        parts = split_front_matter(normalise(text))
    except (ParseError, ValueError):
        return None
    if not isinstance(parts.meta, dict):
        return None
    return parts.meta, parts.body, parts.kind


def _question_fields(question) -> dict | None:
    if not isinstance(question, dict) or set(question) - set(QUESTION_FIELDS):
        return None
    prompt, explain = question.get("prompt", ""), question.get("explain", "")
    if not _line(prompt) or not (isinstance(explain, str) or _number(explain)):
        return None
    answers = {}
    for kind in ("correct", "wrong"):
        value = question.get(kind, [])
        value = [value] if _line(value) else value
        if not isinstance(value, list) or not all(_line(item) for item in value):
            return None
        answers[kind] = [_text(item) for item in value]
    return {"prompt": _text(prompt), **answers, "explain": _text(explain)}


def module_fields(text: str) -> dict | None:
    """The module form's values (title, key, minutes, objectives, tasks, pass_mark, questions) and its body, or None
    when the front matter cannot be shown in the form without losing something."""
    parts = split_module(text)
    if parts is None:
        return None
    meta, body, _kind = parts
    title, key, minutes = meta.get("title") or "", meta.get("key") or "", meta.get("minutes")  # `title:` is null
    if not _line(title) or not isinstance(key, str) or not (minutes is None or _whole(minutes)):
        return None
    lists = {}
    for name in ("objectives", "tasks"):
        value = meta.get(name) or []
        if not isinstance(value, list) or not all(_line(item) for item in value):
            return None
        lists[name] = [_text(item) for item in value]
    quiz = meta.get("quiz") or {}
    if not isinstance(quiz, dict):
        return None
    pass_mark, questions = quiz.get("pass_mark"), quiz.get("questions") or []
    if not (pass_mark is None or _number(pass_mark)) or not isinstance(questions, list):
        return None
    shown = [_question_fields(q) for q in questions]
    if any(q is None for q in shown):
        return None
    return {"title": _text(title), "key": key, "minutes": minutes, **lists, "pass_mark": pass_mark,
            "questions": shown, "body": body}


def module_text(values: dict, stored: str | None = None) -> str:
    """A module file from the form's values and body; settings of the `stored` file the form does not show (unknown
    keys, the quiz's draw or show_answers, ...) are kept in their place, in its front matter syntax."""
    old = split_module(stored) if stored else None
    old_meta, kind = (old[0], old[2]) if old else ({}, None)
    new = {}
    if values.get("title", "").strip():
        new["title"] = values["title"].strip()
    if values.get("key", "").strip():
        new["key"] = values["key"].strip()
    if values.get("minutes") is not None:
        new["minutes"] = values["minutes"]
    for name in ("objectives", "tasks"):
        if values.get(name):
            new[name] = list(values[name])
    questions = [_question(q) for q in values.get("questions") or [] if (q.get("prompt") or "").strip()
                 or q.get("correct") or q.get("wrong")]
    if questions or values.get("pass_mark") is not None:
        old_quiz = old_meta.get("quiz") if isinstance(old_meta.get("quiz"), dict) else {}
        quiz_new = {}
        if values.get("pass_mark") is not None:
            quiz_new["pass_mark"] = values["pass_mark"]
        if questions:
            quiz_new["questions"] = questions
        new["quiz"] = _merge(old_quiz if questions else {}, quiz_new, ("pass_mark", "questions"))
    return compose_module(_merge(old_meta, new, MODULE_FIELDS), normalise(values.get("body", "")), kind)


def compose_module(meta: dict, body: str, kind: str | None = None) -> str:
    """A module file from its settings and body: YAML front matter (TOML when the file had it), none when there are
    no settings and the body cannot be mistaken for front matter."""
    if not meta and kind is None and body.split("\n", 1)[0].rstrip() not in ("---", "+++"):
        return body
    if kind == "toml":
        return "+++\n" + tomli_w.dumps(meta) + "+++\n" + body
    dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000) if meta else ""
    return "---\n" + dumped + "---\n" + body


def _question(values: dict) -> dict:
    question = {"prompt": (values.get("prompt") or "").strip(), "correct": list(values.get("correct") or []),
                "wrong": list(values.get("wrong") or [])}
    explain = normalise(values.get("explain") or "").strip()
    if explain:
        question["explain"] = explain
    return question


def _merge(old: dict, new: dict, known: tuple) -> dict:
    """`new` (values of the `known` keys) laid over `old`: old keys keep their place, unknown ones their value,
    known ones that are no longer set are dropped; new keys follow in `known` order."""
    out = {}
    for key, value in old.items():
        if key not in known:
            out[key] = value
        elif key in new:
            out[key] = new[key]
    for key in known:
        if key in new and key not in out:
            out[key] = new[key]
    return out


def module_key(filename: str, text: str) -> str:
    """A module's key: `key:` in its front matter, else its file name without the number."""
    parts = split_module(text)
    key = parts[0].get("key") if parts else None
    return key if isinstance(key, str) and key else default_module_key(filename)


def module_title(filename: str, text: str) -> str:
    """What to call a module in a list: its title, else its first heading, else its file name."""
    parts = split_module(text)
    if parts and _line(parts[0].get("title")) and str(parts[0]["title"]).strip():
        return _text(parts[0]["title"]).strip()
    match = re.search(r"^#\s+(.+)$", parts[1] if parts else text, re.M)
    return match.group(1).strip().rstrip("#").strip() if match else filename


def slugify(title: str, limit: int = 48) -> str:
    """A module key from a title: `Sensorer i fjøset` -> `sensorer-i-fjoset`."""
    text = title.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:limit].strip("-")
    return text or "module"


def toml_string(value: str) -> str:
    """A TOML basic string (for the rare hand-written line)."""
    return tomli_w.dumps({"x": value})[4:].strip()

