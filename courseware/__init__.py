"""Courseware: competence courses for small firms. `create_app` builds the Flask app without side effects."""
import os
import secrets
from pathlib import Path

from flask import Flask

from .config import DefaultConfig, load_environment

REPO_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers and CLI. No database or network I/O."""
    instance_path = os.environ.get("COURSEWARE_INSTANCE_PATH") or str(REPO_ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(load_environment())
    app.config.update(config or {})
    _derive_settings(app)

    from . import extensions
    from .web import i18n, inputs, mail_after_response, page_shell, request_id, request_metrics, security, templating
    from .blueprints import register_blueprints
    from .cli import register_cli

    inputs.init_app(app)  # first: the id converter for every route, the NUL check before every other hook
    request_id.init_app(app)  # the log handler and the X-Request-ID header
    request_metrics.init_app(app)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(Path(__file__).parent / "migrations"))
    extensions.csrf.init_app(app)
    extensions.init_limiter(app)
    i18n.init_app(app)
    security.init_app(app)
    mail_after_response.init_app(app)
    page_shell.init_app(app)
    templating.init_app(app)
    register_blueprints(app)
    register_cli(app)
    from .web import proxies

    proxies.init_app(app)  # X-Forwarded-* from trusted proxies (PROXIES, TRUSTED_PROXY), read once, per request
    return app


def _derive_settings(app: Flask) -> None:
    """Fill the settings whose defaults depend on the instance folder."""
    instance = Path(app.instance_path)
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'courseware.db'}"
    cfg["COURSES_DIR"] = str(Path(cfg.get("COURSES_DIR") or REPO_ROOT / "courses").resolve())
    cfg["MEDIA_DIR"] = str(Path(cfg.get("MEDIA_DIR") or instance / "media"))
    cfg["SIGNING_KEYS_DIR"] = str(Path(cfg.get("SIGNING_KEYS_DIR") or instance / "keys"))
    secure_cookies(app, cfg.get("SESSION_COOKIE_SECURE"))
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = read_or_create_secret_key(instance)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # WAL and busy timeout are set per connection (see models.sqlite_pragmas); this avoids
        # "database is locked" errors when several requests write at once.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and cfg.get("DATABASE_CONNECT_TIMEOUT"):
        # Without it a connection to an unreachable server waits for ever (and /readyz with it); a timeout
        # given in the URL wins.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        if "connect_timeout" not in cfg["SQLALCHEMY_DATABASE_URI"]:
            connect_args.setdefault("connect_timeout", int(cfg["DATABASE_CONNECT_TIMEOUT"]))
        options["connect_args"] = connect_args
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options


def behind_https_proxy(app: Flask) -> Flask:
    """Settings for serving behind the HTTPS reverse proxy of deploy/ (nginx): Secure cookies when the site is
    HTTPS (BASE_URL https://, or COURSEWARE_SECURE_COOKIES), and the proxy's X-Forwarded-* headers read from one
    proxy unless COURSEWARE_PROXIES says otherwise (only from COURSEWARE_TRUSTED_PROXY's peers, web/proxies.py).
    `courseware run --production` and wsgi.py (gunicorn, waitress-serve) call it."""
    cfg = app.config
    secure_cookies(app, cfg.get("SESSION_COOKIE_SECURE") or str(cfg.get("BASE_URL", "")).startswith("https://"))
    if cfg.get("PROXIES") is None:
        cfg["PROXIES"] = 1
    return app


def secure_cookies(app: Flask, secure) -> None:
    """Mark the session cookie Secure (or not), and the "remember me" cookie too whenever the session cookie is.
    behind_https_proxy calls it again for serving behind HTTPS."""
    cfg = app.config
    cfg["SESSION_COOKIE_SECURE"] = bool(secure)
    cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg.get("REMEMBER_COOKIE_SECURE")) or bool(secure)


def read_or_create_secret_key(instance: Path) -> str:
    """The deployment's secret key from instance/secret_key, generated there (mode 0600) the first time."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
