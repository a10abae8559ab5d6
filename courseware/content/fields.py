"""Field rules for course.toml and module front matter: types, allowed values and defaults (COURSE_FORMAT.md).

Each check writes problems into a Reporter and returns the cleaned values; codes are listed in checker.py.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _

from ..models.dma import DMA_DIMENSIONS
from ..models.orgs import PROVIDER_KINDS
from .package import KEY_RE, MANIFEST, SLUG_RE
from .problems import Reporter, shown

MANIFEST_KEYS = frozenset({
    "format", "title", "summary", "provider", "provider_name", "provider_kind", "slug", "industry", "stage", "language",
    "audience", "estimated_minutes", "requires", "modules", "completion", "certificate", "partners", "dma_dimensions",
})
SUBTABLE_KEYS = {
    "completion": frozenset({"pass_mark", "show_answers", "attempts_per_day"}),
    "certificate": frozenset({"enabled", "signer_name", "signer_title", "valid_years"}),
}
PARTNER_KEYS = frozenset({"name", "role", "url"})
MODULE_KEYS = frozenset({"title", "key", "minutes", "objectives", "tasks", "quiz"})
QUIZ_KEYS = frozenset({"pass_mark", "show_answers", "attempts_per_day", "draw", "questions"})
QUESTION_KEYS = frozenset({"prompt", "correct", "wrong", "explain"})
LANGUAGES = ("nb", "nn", "en")
AUDIENCES = ("firms", "public")
INDUSTRIES = "ABCDEFGHIJKLMNOPQRSTU"
DEFAULT_PASS_MARK = 0.8
SHOW_ANSWERS = ("after-pass", "always", "never")  # when a quiz result shows the right answers; the first is the default
MAX_ATTEMPTS_PER_DAY = 100
# A quiz is read on a phone: far more questions or answers than these is a mistake (or hostile).
MAX_QUESTIONS = 100
MAX_ANSWERS = 10
MAX_LIST_ITEMS = 20  # objectives and tasks of one module (each task is a button on the module page)


def line_of(lines: list[str], key: str, start: int = 0, default: int = 1) -> int:
    """The 1-based line where `key = ...` or `key: ...` is set, searching from index start."""
    pattern = re.compile(rf"^\s*(?:-\s*)?[\"']?{re.escape(str(key))}[\"']?\s*[=:]")
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index + 1
    return default


def unknown_keys(mapping: dict, known: frozenset, report: Reporter, relpath: str):
    """The keys of mapping not in known, sorted, while the file still shows problems (each costs a line search)."""
    for key in sorted((key for key in mapping if key not in known), key=str):
        if not report.accepts(relpath):
            return
        yield str(key)


def line_containing(lines: list[str], needle: str, start: int = 0, default: int = 1) -> int:
    """The 1-based line containing needle, searching from index start."""
    if needle:
        for index in range(start, len(lines)):
            if needle in lines[index]:
                return index + 1
    return default


def is_int(value, minimum: int) -> bool:
    """A whole number (not a bool, which Python counts as one) of at least minimum."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def is_fraction(value) -> bool:
    """A share above 0 and at most 1, such as a pass mark."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1


def as_text(value) -> str | None:
    """A text value; numbers count as text (YAML reads `- 1990` as a number), anything else does not."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _text_list(value) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    items = [as_text(item) for item in value]
    return None if any(item is None for item in items) else [item for item in items if item]


def _is_web_url(value) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_manifest(data: dict, text: str, folder: str, report: Reporter) -> dict:
    """Validate course.toml's fields; returns the values with defaults filled in."""
    lines = text.split("\n")

    def error(key: str, code: str, message: str) -> None:
        report.error(MANIFEST, line_of(lines, key), code, message)

    def bad(key: str, message: str) -> None:
        error(key, "E114", message)

    out: dict = {}
    if "format" not in data:
        report.error(MANIFEST, 1, "E111", _("'format' is missing: add the line format = 1 at the top of course.toml"))
    elif data["format"] != 1 or isinstance(data["format"], bool):
        error("format", "E111", _("unknown format %(value)s: this platform reads format = 1", value=shown(data["format"])))

    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        error("title", "E112", _("the course has no title: add title = \"...\" to course.toml"))
    elif len(title.strip()) > 300:
        bad("title", _("the title is longer than 300 characters"))
    out["title"] = title.strip() if isinstance(title, str) else ""

    provider = data.get("provider")
    if provider is None:
        report.error(MANIFEST, 1, "E113", _("'provider' is missing: add provider = \"<slug of your organisation>\""))
    elif not isinstance(provider, str) or not SLUG_RE.match(provider):
        error("provider", "E113", _("provider %(value)s is not a valid slug (lower-case letters, digits and dashes)",
                                    value=shown(provider)))
    out["provider"] = provider if isinstance(provider, str) else ""

    if "slug" in data and data["slug"] != folder:
        error("slug", "E105", _("slug %(slug)s does not match the folder name '%(folder)s': rename one of them",
                                slug=shown(data["slug"]), folder=folder))

    out["summary"] = _string(data, "summary", "", bad)
    out["provider_name"] = _string(data, "provider_name", None, bad, limit=200) or None
    # Like provider_name, read only when the import creates the provider; afterwards an admin sets the kind.
    out["provider_kind"] = data.get("provider_kind", "business_park")
    if out["provider_kind"] not in PROVIDER_KINDS:
        bad("provider_kind", _("provider_kind must be one of %(kinds)s, not %(value)s",
                               kinds=", ".join(PROVIDER_KINDS), value=shown(out["provider_kind"])))
        out["provider_kind"] = "business_park"

    industry = data.get("industry")
    if industry in (None, ""):
        out["industry"] = None
    elif isinstance(industry, str) and len(industry) == 1 and industry.upper() in INDUSTRIES:
        out["industry"] = industry.upper()
    else:
        bad("industry", _("industry must be one NACE section letter from A to U, not %(value)s", value=shown(industry)))
        out["industry"] = None

    out["stage"] = data.get("stage", 1)
    if not is_int(out["stage"], 1):
        bad("stage", _("stage must be a whole number 1 or higher, not %(value)s", value=shown(out["stage"])))
    out["language"] = data.get("language", "nb")
    if out["language"] not in LANGUAGES:
        bad("language", _("language must be nb, nn or en, not %(value)s", value=shown(out["language"])))
        out["language"] = "nb"
    out["audience"] = data.get("audience", "firms")
    if out["audience"] not in AUDIENCES:
        bad("audience", _("audience must be firms or public, not %(value)s", value=shown(out["audience"])))
    out["estimated_minutes"] = data.get("estimated_minutes")
    if out["estimated_minutes"] is not None and not is_int(out["estimated_minutes"], 0):
        bad("estimated_minutes", _("estimated_minutes must be a whole number of minutes (0 or more), not %(value)s",
                                   value=shown(out["estimated_minutes"])))

    requires = data.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(s, str) and SLUG_RE.match(s) for s in requires):
        bad("requires", _("requires must be a list of course slugs, like requires = [\"my-course-trinn-1\"]"))
        requires = []
    out["requires"] = list(dict.fromkeys(requires))

    dimensions = data.get("dma_dimensions", [])
    if not isinstance(dimensions, list) or not all(isinstance(d, str) and d in DMA_DIMENSIONS for d in dimensions):
        bad("dma_dimensions", _("dma_dimensions must be a list of the digital maturity dimensions the course "
                                "addresses, from %(names)s, like dma_dimensions = [\"human\", \"data\"]",
                                names=", ".join(DMA_DIMENSIONS)))
        dimensions = []
    out["dma_dimensions"] = [d for d in DMA_DIMENSIONS if d in dimensions]

    modules = data.get("modules")
    if modules is not None and (not isinstance(modules, list) or not all(isinstance(m, str) for m in modules)):
        bad("modules", _("modules must be a list of file names, like modules = [\"01-intro.md\", \"02-next.md\"]"))
        modules = None
    out["modules"] = modules

    completion = _table(data, "completion", lines, report)
    out["pass_mark"] = completion.get("pass_mark", DEFAULT_PASS_MARK)
    if not is_fraction(out["pass_mark"]):
        bad("pass_mark", _("pass_mark must be a number above 0 and at most 1 (0.8 means 80 %%), not %(value)s",
                           value=shown(out["pass_mark"])))
        out["pass_mark"] = DEFAULT_PASS_MARK
    policy = quiz_policy(completion, bad)
    out["show_answers"] = policy["show_answers"] or SHOW_ANSWERS[0]
    out["attempts_per_day"] = policy["attempts_per_day"] or 0
    out["certificate"] = _certificate(_table(data, "certificate", lines, report), bad)
    out["partners"] = _partners(data.get("partners", []), lines, report)

    for key in unknown_keys(data, MANIFEST_KEYS, report, MANIFEST):
        report.warning(MANIFEST, line_of(lines, key), "W111", _("unknown setting '%(key)s' is ignored (a typo?)", key=key))
    return out


def _string(data: dict, key: str, default, bad, limit: int = 2000):
    value = data.get(key, default)
    if value is default:
        return default
    if not isinstance(value, str):
        bad(key, _("%(key)s must be text in quotes", key=key))
        return default
    if len(value) > limit:
        bad(key, _("%(key)s is longer than %(limit)d characters", key=key, limit=limit))
    return value.strip()


def _table(data: dict, name: str, lines: list[str], report: Reporter) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        report.error(MANIFEST, line_of(lines, name), "E114", _("%(name)s must be a table: [%(name)s]", name=name))
        return {}
    start = line_containing(lines, f"[{name}]") - 1
    for key in unknown_keys(table, SUBTABLE_KEYS[name], report, MANIFEST):
        report.warning(MANIFEST, line_of(lines, key, start), "W111",
                       _("unknown setting '%(key)s' in [%(table)s] is ignored (a typo?)", key=key, table=name))
    return table


def _certificate(table: dict, bad) -> dict:
    out = {"enabled": True, "signer_name": "", "signer_title": "", "valid_years": 0}
    if not isinstance(table.get("enabled", True), bool):
        bad("enabled", _("enabled must be true or false"))
    else:
        out["enabled"] = table.get("enabled", True)
    for key in ("signer_name", "signer_title"):
        out[key] = _string(table, key, "", bad, limit=200)
    if not is_int(table.get("valid_years", 0), 0):
        bad("valid_years", _("valid_years must be a whole number of years (0 = never expires)"))
    else:
        out["valid_years"] = table.get("valid_years", 0)
    return out


def _partners(partners, lines: list[str], report: Reporter) -> list[dict]:
    if not isinstance(partners, list):
        report.error(MANIFEST, line_of(lines, "partners"), "E114", _("partners must be written as [[partners]] tables"))
        return []
    out = []
    starts = [i for i, line in enumerate(lines) if line.strip().replace(" ", "") == "[[partners]]"]
    for index, partner in enumerate(partners):
        line = starts[index] + 1 if index < len(starts) else line_of(lines, "partners")
        if not isinstance(partner, dict):
            report.error(MANIFEST, line, "E115", _("partner %(n)d must be a [[partners]] table", n=index + 1))
            continue
        name, role, url = (partner.get(k, "") for k in ("name", "role", "url"))
        if not isinstance(name, str) or not name.strip():
            report.error(MANIFEST, line, "E115", _("partner %(n)d has no name: add name = \"...\"", n=index + 1))
            continue
        if not isinstance(role, str):
            report.error(MANIFEST, line, "E114", _("the role of partner '%(name)s' must be text", name=name))
        if url and not (isinstance(url, str) and _is_web_url(url)):
            report.error(MANIFEST, line_of(lines, "url", line - 1, line), "E114",
                         _("the url of partner '%(name)s' must start with https:// or http://", name=name))
            url = ""
        for key in unknown_keys(partner, PARTNER_KEYS, report, MANIFEST):
            report.warning(MANIFEST, line, "W111", _("unknown setting '%(key)s' in [[partners]] is ignored", key=key))
        out.append({"name": name.strip(), "role": role.strip() if isinstance(role, str) else "", "url": url or ""})
    return out


def quiz_policy(table: dict, bad) -> dict:
    """show_answers and attempts_per_day of [completion] or of a module's quiz (None where not set or wrong)."""
    show, limit = table.get("show_answers"), table.get("attempts_per_day")
    if show is not None and show not in SHOW_ANSWERS:
        bad("show_answers", _("show_answers must be after-pass, always or never, not %(value)s", value=shown(show)))
        show = None
    if limit is not None and not (is_int(limit, 0) and limit <= MAX_ATTEMPTS_PER_DAY):
        bad("attempts_per_day", _("attempts_per_day must be a whole number from 0 (no limit) to %(max)d, not "
                                  "%(value)s", max=MAX_ATTEMPTS_PER_DAY, value=shown(limit)))
        limit = None
    return {"show_answers": show, "attempts_per_day": limit}


def check_module_meta(meta: dict, relpath: str, lines: list[str], report: Reporter) -> dict:
    """Validate a module's front matter; returns title, key, minutes, objectives, tasks and quiz."""

    def bad(key: str, message: str, code: str = "E129") -> None:
        report.error(relpath, line_of(lines, key), code, message)

    out: dict = {"title": None, "key": None}
    title = meta.get("title")
    if title is not None:
        if as_text(title):
            out["title"] = as_text(title)[:300]
        else:
            bad("title", _("title must be text"))
    key = meta.get("key")
    if key is not None:
        if isinstance(key, str) and KEY_RE.match(key):
            out["key"] = key
        else:
            bad("key", _("key %(value)s may only hold lower-case letters a-z, digits and dashes (at most 64)",
                         value=shown(key)), "E127")
            out["key"] = ""
    out["minutes"] = meta.get("minutes")
    if out["minutes"] is not None and not is_int(out["minutes"], 0):
        bad("minutes", _("minutes must be a whole number (0 or more), not %(value)s", value=shown(out["minutes"])))
        out["minutes"] = None
    for name in ("objectives", "tasks"):
        out[name] = _text_list(meta.get(name))
        if out[name] is None:
            bad(name, _("%(name)s must be a list of short texts, one per line starting with '- '", name=name))
            out[name] = []
        elif len(out[name]) > MAX_LIST_ITEMS:
            bad(name, _("%(name)s has %(n)d items; a module may have at most %(limit)d: keep the most important",
                        name=name, n=len(out[name]), limit=MAX_LIST_ITEMS))
    out["quiz"] = check_quiz(meta.get("quiz"), relpath, lines, report)
    for key in unknown_keys(meta, MODULE_KEYS, report, relpath):
        report.warning(relpath, line_of(lines, key), "W121", _("unknown setting '%(key)s' is ignored (a typo?)", key=key))
    return out


def check_quiz(quiz, relpath: str, lines: list[str], report: Reporter) -> dict:
    """Validate a quiz: every question needs a prompt and both right and wrong answers."""
    if quiz is None:
        return {}
    quiz_line = line_of(lines, "quiz")
    if not isinstance(quiz, dict):
        report.error(relpath, quiz_line, "E130", _("quiz must hold 'questions:' (and optionally 'pass_mark:')"))
        return {}

    def at(key: str) -> int:
        return line_of(lines, key, quiz_line - 1, quiz_line)

    pass_mark = quiz.get("pass_mark")
    if pass_mark is not None and not is_fraction(pass_mark):
        report.error(relpath, at("pass_mark"), "E130",
                     _("pass_mark must be a number above 0 and at most 1, not %(value)s", value=shown(pass_mark)))
        pass_mark = None
    policy = quiz_policy(quiz, lambda key, message: report.error(relpath, at(key), "E134", message))
    for key in unknown_keys(quiz, QUIZ_KEYS, report, relpath):
        report.warning(relpath, at(key), "W121", _("unknown setting '%(key)s' in quiz is ignored (a typo?)", key=key))
    questions = quiz.get("questions")
    if not isinstance(questions, list) or not questions:
        report.error(relpath, quiz_line, "E130", _("the quiz has no questions: add 'questions:' with at least one question"))
        return {}
    if len(questions) > MAX_QUESTIONS:
        report.error(relpath, quiz_line, "E165", _("the quiz has %(n)d questions; a quiz may have at most %(limit)d",
                                                   n=len(questions), limit=MAX_QUESTIONS))
        return {}
    out = []
    for number, question in enumerate(questions, 1):
        if not isinstance(question, dict):
            report.error(relpath, quiz_line, "E132", _("question %(n)d must have prompt:, correct: and wrong:", n=number))
            continue
        prompt = as_text(question.get("prompt"))
        line = line_containing(lines, prompt, quiz_line - 1, quiz_line) if prompt else quiz_line
        if not prompt:
            report.error(relpath, line, "E132", _("question %(n)d has no prompt: add 'prompt: <the question>'", n=number))
            continue
        answers = {}
        for kind in ("correct", "wrong"):
            value = question.get(kind)
            answers[kind] = _text_list([value] if isinstance(value, (str, int, float)) else value)
        if answers["correct"] is None or answers["wrong"] is None:
            report.error(relpath, line, "E133", _("the answers of question %(n)d must be a list of texts", n=number))
            continue
        if not answers["correct"] or not answers["wrong"]:
            report.error(relpath, line, "E131", _("question %(n)d ('%(prompt)s') needs both 'correct:' and 'wrong:' answers",
                                                  n=number, prompt=prompt))
            continue
        if len(answers["correct"]) + len(answers["wrong"]) > MAX_ANSWERS:
            report.error(relpath, line, "E166", _("question %(n)d has %(count)d answers; a question may have at most "
                                                  "%(limit)d", n=number, count=len(answers["correct"]) +
                                                  len(answers["wrong"]), limit=MAX_ANSWERS))
            continue
        both = set(answers["correct"]) & set(answers["wrong"])
        if both:
            report.error(relpath, line, "E133", _("question %(n)d lists '%(answer)s' as both correct and wrong",
                                                  n=number, answer=sorted(both)[0]))
            continue
        explain = question.get("explain")
        if explain is not None and as_text(explain) is None:
            report.error(relpath, line, "E132", _("the explanation of question %(n)d must be text", n=number))
        for key in unknown_keys(question, QUESTION_KEYS, report, relpath):
            report.warning(relpath, line, "W121", _("unknown setting '%(key)s' in question %(n)d is ignored", key=key, n=number))
        out.append({"prompt": prompt, "correct": answers["correct"], "wrong": answers["wrong"],
                    "explain": as_text(explain) or ""})
    draw = quiz.get("draw")
    if draw is not None and not (is_int(draw, 1) and draw <= len(questions)):
        report.error(relpath, at("draw"), "E135", _(
            "draw must be a whole number from 1 to the number of questions (%(count)d), not %(value)s",
            count=len(questions), value=shown(draw)))
        draw = None
    return {"pass_mark": pass_mark, **policy, "draw": draw, "questions": out}
