"""The app factory, settings, instance folder, SQLite tuning and migrations."""
import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from courseware import create_app, read_or_create_secret_key
from courseware.config import load_environment
from courseware.extensions import db


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEWARE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("COURSEWARE_COURSES_DIR", str(tmp_path / "kurs"))
    monkeypatch.setenv("COURSEWARE_SECRET_KEY", "from-env")
    monkeypatch.setenv("COURSEWARE_SMTP_HOST", "smtp.example.no")
    monkeypatch.setenv("COURSEWARE_SMTP_PORT", "2525")
    monkeypatch.setenv("COURSEWARE_SMTP_STARTTLS", "true")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
    assert app.config["COURSES_DIR"] == str(tmp_path / "kurs")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAIL_SERVER"] == "smtp.example.no"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_STARTTLS"] is True


def test_load_environment_ignores_empty_values():
    assert load_environment({"COURSEWARE_SMTP_HOST": "", "COURSEWARE_MAX_ASSET_MB": "5"}) == {"MAX_ASSET_MB": 5}


def test_secret_key_is_generated_once_with_private_mode(tmp_path):
    first = read_or_create_secret_key(tmp_path / "inst")
    second = read_or_create_secret_key(tmp_path / "inst")
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "inst" / "secret_key").st_mode)
    assert mode == 0o600


def test_default_database_is_sqlite_in_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEWARE_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("COURSEWARE_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'courseware.db'}"
    assert not (tmp_path / "inst" / "courseware.db").exists()  # the factory creates no database


def test_sqlite_is_tuned_for_concurrent_use(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    with app.app_context():
        conn = db.session.connection()
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        db.session.remove()
        db.engine.dispose()


def test_migrations_build_the_same_schema_as_the_models(database_url, tmp_path):
    """`courseware db upgrade` on an empty database gives exactly the tables and columns the models declare."""
    if database_url.startswith("postgresql"):
        url = database_url.rsplit("/", 1)[0] + "/cw_migrations"
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS cw_migrations WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE cw_migrations"))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == [], diff


@pytest.fixture
def failing_app(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("bug")

    return app


def test_unexpected_error_is_a_friendly_500(failing_app):
    page = failing_app.test_client().get("/boom")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "<html" in html and "RuntimeError" not in html and "Traceback" not in html


def test_unknown_url_is_a_friendly_404(client):
    page = client.get("/finnes/ikke")
    assert page.status_code == 404
    assert 'class="error-page"' in page.get_data(as_text=True)


@pytest.mark.parametrize("base_url, proxies, secure, trusted", [
    ("https://kurs.example.no", None, True, 1),  # deploy/'s site: HTTPS, nginx in front
    ("https://kurs.example.no", "2", True, 2),  # a load balancer before nginx: the setting stands
    ("http://127.0.0.1:8000", None, False, 1),  # plain HTTP (a bench): no Secure cookie a browser would drop
])
def test_wsgi_module_serves_as_run_production(monkeypatch, tmp_path, base_url, proxies, secure, trusted):
    """gunicorn and waitress-serve load wsgi:app: the same cookies and proxy headers as `courseware run
    --production` (deploy/README.md serves webinar peaks with gunicorn)."""
    monkeypatch.setenv("COURSEWARE_SECRET_KEY", "x")
    monkeypatch.setenv("COURSEWARE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSEWARE_BASE_URL", base_url)
    if proxies:
        monkeypatch.setenv("COURSEWARE_PROXIES", proxies)
    import importlib

    import wsgi

    importlib.reload(wsgi)
    config = wsgi.app.config
    assert wsgi.app.name == "courseware"
    assert (config["SESSION_COOKIE_SECURE"], config["REMEMBER_COOKIE_SECURE"]) == (secure, secure)
    assert config["PROXIES"] == trusted


def test_run_production_serves_with_waitress_and_fewer_threads_on_sqlite(app, monkeypatch):
    import waitress

    from courseware.extensions import db

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app_, **kw: served.update(kw))
    result = app.test_cli_runner().invoke(args=["run", "--production", "--skip-init", "--port", "5099"])
    assert result.exit_code == 0, result.output
    expected = 4 if db.engine.dialect.name == "sqlite" else 8
    assert served["threads"] == expected and served["port"] == 5099
    assert f"({expected} threads)" in result.output
    result = app.test_cli_runner().invoke(args=["run", "--production", "--skip-init", "--threads", "2"])
    assert served["threads"] == 2


def test_run_serves_with_waitress_without_production_too(app, monkeypatch):
    """Werkzeug's development server can skip close() on a dropped connection, and mail is sent on close."""
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app_, **kw: served.update(kw))
    result = app.test_cli_runner().invoke(args=["run", "--skip-init", "--port", "5098"])
    assert result.exit_code == 0, result.output
    assert served["port"] == 5098 and "with waitress" in result.output
    assert app.config["SESSION_COOKIE_SECURE"] is False  # plain http on a laptop: no Secure cookies
