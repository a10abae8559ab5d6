"""Whole pages rendered once and reused with holes for what changes per request.

The module page is the page learners open most. Everything on it but a few parts is the same for every learner
who views a module in the same language with the same menu: the layout, the module's content, the links between
modules. So the whole page is rendered once per such key into a *shell* with holes, and a request only fills the
holes: the CSRF token of the layout's forms, the flashed messages, and the page's own per-learner parts (for the
module page, the learner's activity, itself a cached fragment, see below).

    shells.render("public/module.html", key, holes={"activity": activity_html}, module=..., ...)
    shells.fragment("learner/_module_activity.html", key, holes={"quiz_token": ...}, state=..., ...)

A fragment is the same for a part of a page: the learner's activity on the module page is the same for every
learner in the same state (read or not, which tasks are ticked, quiz passed, ...), except for the quiz, whose
choices are shuffled and whose one-time token is new on every view; those are its holes.

A hole is a marker with a random per-process nonce, so no course text can contain one. The template prints the
per-request parts through `hole(name)` (and `csrf_token()` and the flashes in base.html print theirs when a shell
is being rendered). Like the fragment cache, shells live in a bounded LRU per app and process, and keys must hold
everything the shell depends on besides the holes; `render` adds the language, the script root and the path.
"""
import re
import secrets

from flask import current_app, get_flashed_messages, render_template, request, session
from flask_babel import get_locale
from markupsafe import Markup

from .fragment_cache import LRU
from .security import csrf_token

DEFAULT_ENTRIES = 2048


class PageShells:
    """The shells of one app (see the module docstring)."""

    def __init__(self, size: int = DEFAULT_ENTRIES):
        self._nonce = secrets.token_hex(12)
        self._pattern = re.compile(rf"cw-hole-{self._nonce}-([a-z_]+)")
        self._cache = LRU(size)

    def marker(self, name: str) -> Markup:
        return Markup(f"cw-hole-{self._nonce}-{name}")

    def render(self, template: str, key: tuple, holes: dict[str, str], **context) -> str:
        """The page for `key` with its holes filled: `holes` plus "csrf" and "flashes" (always filled here)."""
        return self._fill(template, key, holes, context, page=True)

    def fragment(self, template: str, key: tuple, holes: dict[str, str], **context) -> str:
        """A part of a page (rendered on its own, without the layout) for `key`, with `holes` and "csrf" filled."""
        return self._fill(template, key, holes, context, page=False)

    def _fill(self, template: str, key: tuple, holes: dict[str, str], context: dict, *, page: bool) -> str:
        if request.query_string:  # the language form's "next" holds it: not worth a shell per query string
            return render_template(template, hole=lambda name: Markup(holes[name]), **context)
        full_key = (template, str(get_locale()), request.script_root, request.path) + tuple(key)
        parts = self._cache.get(full_key)
        if parts is None:
            names = set(holes) | {"csrf", "flashes"}
            extra = {"flashes_hole": self.marker("flashes")} if page else {}
            shell = render_template(template, hole=self.marker, csrf_token=lambda: str(self.marker("csrf")),
                                    **extra, **context)
            parts = tuple(self._pattern.split(shell))
            found = set(parts[1::2])
            if not found <= names or (page and "flashes" not in found):
                raise RuntimeError(f"{template}: holes {sorted(found)} do not match {sorted(names)}")
            self._cache.put(full_key, parts)
        values = dict(holes)
        values["csrf"] = csrf_token() if "csrf" in parts[1::2] else ""
        if page:
            values["flashes"] = _flashes() if "_flashes" in session else ""
        return "".join(values[part] if i % 2 else part for i, part in enumerate(parts))

    def cached(self, key: tuple, build):
        """Any other rendered part that depends only on `key` (with the script root added): from the cache, or
        `build()` once."""
        full_key = ("part", request.script_root) + tuple(key)
        value = self._cache.get(full_key)
        if value is None:
            value = build()
            self._cache.put(full_key, value)
        return value

    def clear(self) -> None:
        self._cache.clear()


def _flashes() -> str:
    """The flashed messages as base.html shows them (macros.html `flashes`)."""
    if not get_flashed_messages():
        return ""
    macro = current_app.jinja_env.get_template("macros.html").module.flashes
    return str(macro())


def init_app(app) -> None:
    app.extensions["courseware_page_shells"] = PageShells(app.config.get("PAGE_SHELL_ENTRIES", DEFAULT_ENTRIES))


def shells() -> PageShells:
    return current_app.extensions["courseware_page_shells"]
