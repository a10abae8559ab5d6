"""Shared fixtures: an app on a clean database per test, clients, users per role, a query counter.

Set COURSEWARE_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run on PostgreSQL;
the default is a SQLite file in a temporary folder.
"""
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from courseware import create_app
from courseware.models import fastquery
from courseware.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_COURSES = FIXTURES / "courses"
REPO = Path(__file__).resolve().parent.parent
TEST_PASSWORD = "Riktig-hest-batteri-42"

pytest_plugins = ["tests.groups"]  # the browser / postgres_only / sqlite_only / redis markers and CI's skip rule


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("COURSEWARE_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


@pytest.fixture(scope="session")
def _session_root(tmp_path_factory):
    return tmp_path_factory.mktemp("courseware")


@pytest.fixture(scope="session")
def database_url(_session_root):
    """Create the schema once per test session; each test then starts from empty tables."""
    url = _database_url(_session_root)
    app = create_app(_test_config(url, _session_root))
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    yield url
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _test_config(url: str, root: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "COURSES_DIR": str(root / "courses"),
        "MEDIA_DIR": str(root / "media"),
        "SIGNING_KEYS_DIR": str(root / "keys"),  # never the repository's instance/keys
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MAIL_SERVER": None,
        # Tests assert the English msgids; tests/test_i18n.py checks the bokmål default and the catalogues.
        "BABEL_DEFAULT_LOCALE": "en",
    }
    config.update(overrides)
    return config


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))  # stamped by tests/health_support.py
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        db.session.execute(text("PRAGMA foreign_keys=OFF"))
        for table in tables:
            db.session.execute(table.delete())
        db.session.execute(text("PRAGMA foreign_keys=ON"))
    db.session.commit()


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize) to change settings for the `app` fixture."""
    return {}


class BufferedClient(FlaskClient):
    """A test client that reads each response to its end and closes it, as a WSGI server does after sending it:
    mail queued by the request (web/mail_after_response.py) has been sent when a request returns. Pass
    buffered=False to look at a response before it is closed."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def app(database_url, tmp_path, app_config):
    (tmp_path / "courses").mkdir()
    application = create_app(_test_config(database_url, tmp_path, **app_config))
    application.test_client_class = BufferedClient
    with application.app_context():
        yield application
        db.session.rollback()
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user (committed) with a role: make_user("author", provider=p)."""
    from courseware.models import utcnow
    from courseware.services.accounts import create_user

    counter = {"n": 0}

    def _make(role="learner", email=None, name=None, password=TEST_PASSWORD, **attrs):
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.no"
        user = create_user(email=email, name=name or f"Test {role.title()} {counter['n']}", password=password, role=role)
        # Most tests are about people who confirmed their address; pass email_verified_at=None for one who has not.
        user.email_verified_at = utcnow()
        for key, value in attrs.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def login(client):
    """Log a user in on the test client through Flask-Login's session keys."""

    def _login(user, the_client=None):
        from courseware.services.logins import start_login

        c = the_client or client
        start_login(user)  # a login record, as logging in on the page makes (see services/logins.py)
        db.session.commit()
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        # Test-client requests share the fixture's app context, so Flask-Login's cached user in `g` would
        # otherwise outlive a switch to another user.
        from flask import g

        g.pop("_login_user", None)
        return user

    return _login


@pytest.fixture
def login_as(make_user, login):
    """Create a user with the role and log them in: login_as("learner")."""

    def _login_as(role="learner", **attrs):
        return login(make_user(role, **attrs))

    return _login_as


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return f"{self.count} queries:\n" + "\n".join(self.statements)


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def _count():
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                counter.statements.append(statement)

        def fast(_query, sql):  # queries run on a raw DBAPI connection (courseware/models/fastquery.py)
            counter.statements.append(sql)

        event.listen(db.engine, "before_cursor_execute", before)
        fastquery.executed.connect(fast)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            fastquery.executed.disconnect(fast)

    return _count


@pytest.fixture
def courses_dir(app):
    return Path(app.config["COURSES_DIR"])


@pytest.fixture
def copy_course(courses_dir):
    """Copy a fixture package (tests/fixtures/courses/NAME) into the app's courses folder and return its path."""

    def _copy(name: str, as_slug: str | None = None, source: Path | None = None) -> Path:
        src = (source or FIXTURE_COURSES) / name
        dst = courses_dir / (as_slug or name)
        shutil.copytree(src, dst)
        return dst

    return _copy


@pytest.fixture
def import_course(app, copy_course):
    """Copy a fixture package into the courses folder and import it; returns the Course."""
    from sqlalchemy.orm import joinedload

    from courseware.content.importer import import_packages
    from courseware.models import Course

    def _import(name: str = "minimal", as_slug: str | None = None, source: Path | None = None):
        path = copy_course(name, as_slug, source)
        report = import_packages([path])
        db.session.commit()
        assert not report.refused, report.refused
        # Relationships are lazy="raise" and the commit expired them: reload current_version on every course
        # (also on courses an earlier import_course returned), so tests can read course.current_version.
        stmt = db.select(Course).options(joinedload(Course.current_version))
        courses = db.session.execute(stmt).unique().scalars().all()
        return next(course for course in courses if course.slug == path.name)

    return _import


# --- A real SMTP server for mail tests (accounts/auth engineer) -------------------------------------------------


class SMTPServer:
    """A local aiosmtpd server: `.messages` (parsed EmailMessage objects), `.config` (settings for `app_config`)."""

    def __init__(self):
        import threading

        self.messages: list = []
        self.envelopes: list = []  # (mail_from, rcpt_tos) per message
        self._arrived = threading.Condition()
        self.config: dict = {}

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list:
        """Block until at least `count` messages arrived (AssertionError after `timeout` seconds); returns them."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} e-mail(s) within {timeout}s, got {len(self.messages)}")
            return list(self.messages)

    def to(self, address: str) -> list:
        """The messages whose envelope includes this recipient."""
        return [m for m, (_, rcpts) in zip(self.messages, self.envelopes) if address.lower() in map(str.lower, rcpts)]

    @staticmethod
    def text(message) -> str:
        """The plain-text body of a message."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        """The HTML body of a message."""
        return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1. Use it with:

        @pytest.fixture
        def app_config(smtp_server):
            return smtp_server.config

    then `smtp_server.wait_for(1)[0]["Subject"]`, `smtp_server.text(message)`.
    """
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # the controller cannot take port 0, so ask the OS for a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SMTPServer()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    server.config = {
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_SSL": False, "MAIL_USE_STARTTLS": False,
        "MAIL_USERNAME": None, "MAIL_PASSWORD": None,
    }
    try:
        yield server
    finally:
        controller.stop()
