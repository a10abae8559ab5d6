"""Language choice: the user's saved choice, then the session, then the browser, then bokmål.

Templates get `_`, `gettext` and `ngettext` bound to the translations of the page being rendered (resolved once per
render), with the same newstyle semantics as Jinja's i18n extension; Flask-Babel's own template callables resolve
the request's translations again on every string, which was a large part of rendering a page.
"""
from functools import cache, lru_cache

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale as babel_locale
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header


def get_locale() -> Locale:
    """The request's language as a Babel Locale (Flask-Babel's locale selector)."""
    return _locale(_language())


@cache
def _locale(code: str) -> Locale:
    # Parsing a locale name looks for Babel's data file on disk every time; there are only a few languages.
    return Locale.parse(code)


def _language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands (check, import) run in an app context only
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user._get_current_object()  # one lookup through the proxy, not three
    if user is not None and user.is_authenticated and user.locale in languages:
        return user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    best = _browser_language(request.headers.get("Accept-Language", ""), tuple(languages))
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=512)
def _browser_language(header: str, languages: tuple) -> str | None:
    """The best of our languages for a browser's Accept-Language header (browsers send a handful of variants)."""
    best = LanguageAccept(parse_accept_header(header)).best_match(list(languages) + ["no", "nb-NO", "nn-NO"])
    if best in ("no", "nb-NO"):
        return "nb"
    if best == "nn-NO":
        return "nn"
    return best


def init_app(app: Flask) -> None:
    from ..extensions import babel

    babel.init_app(app, locale_selector=get_locale)

    @app.context_processor
    def inject_locale():
        gettext, ngettext = template_gettext(get_translations())
        return {"current_locale": str(babel_locale() or "nb"), "languages": app.config["LANGUAGES"],
                "_": gettext, "gettext": gettext, "ngettext": ngettext}


def template_gettext(translations):
    """`gettext` and `ngettext` for one render, as Jinja's newstyle i18n defines them.

    The result is Markup when autoescaping (so %-variables are escaped) and is always %-formatted, even without
    variables, so "%%" means "%" in every msgid. Macros imported without context keep the extension's globals,
    which give the same strings.
    """
    ugettext, ungettext = translations.ugettext, translations.ungettext

    @pass_eval_context
    def gettext(eval_ctx, string, **variables):
        rv = ugettext(string)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables

    @pass_eval_context
    def ngettext(eval_ctx, singular, plural, num, **variables):
        variables.setdefault("num", num)
        rv = ungettext(singular, plural, num)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables

    return gettext, ngettext
