"""Language choice: the user's saved choice, then the session, then the browser, then bokmål."""
from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user


def get_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands (check, import) run in an app context only
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(list(languages) + ["no", "nb-NO", "nn-NO"])
    if best in ("no", "nb-NO"):
        return "nb"
    if best == "nn-NO":
        return "nn"
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    from .extensions import babel

    babel.init_app(app, locale_selector=get_locale)

    @app.context_processor
    def inject_locale():
        from flask_babel import get_locale as babel_locale

        return {"current_locale": str(babel_locale() or "nb"), "languages": app.config["LANGUAGES"]}
