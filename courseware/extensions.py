"""Flask extensions, created unbound and bound to an app in create_app."""
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Settings that give Flask-Limiter limits for every request (see init_limiter).
APP_WIDE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


def init_limiter(app) -> None:
    """Flask-Limiter, checking limits only where a view declares them (unless app-wide limits are configured).

    Flask-Limiter checks every request in a before_request hook, for default, application-wide and blueprint
    limits; a view's own @limiter.limit is checked by its decorator. Courseware only limits views (logging in,
    registering, resetting a password), so the hook would look up limits that do not exist on every page view
    (20-30 µs each). It is removed unless one of APP_WIDE_LIMITS is set.
    """
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    # With RATELIMIT_ENABLED = False, Flask-Limiter registers no hook at all.
    if not any(app.config.get(name) for name in APP_WIDE_LIMITS) and limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite for concurrent use: WAL journal, foreign keys enforced, wait for locks instead of failing."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy decide where transactions begin (see _sqlite_begin); the driver's own implicit
        # transactions would make a SAVEPOINT's release commit on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Begin SQLite transactions explicitly; requests that change data take the write lock at once.

    BEGIN IMMEDIATE makes concurrent writers queue on the busy timeout instead of failing later with
    "database is locked" when a read snapshot cannot be upgraded to a write.

    A GET (or HEAD) request begins no transaction: each of its SELECTs reads on its own, and the first statement
    that is not a read (an INSERT, an UPDATE, a SAVEPOINT) begins one with BEGIN IMMEDIATE first (see
    _sqlite_lazy_begin), so a page that writes still writes atomically. Python's sqlite3 releases the GIL on
    every call into SQLite, so a BEGIN and a ROLLBACK on every page view cost two thread switches each in a
    threaded server, besides their own time.
    """
    if conn.dialect.name != "sqlite":
        return
    method = _request_method()
    reading = method in ("GET", "HEAD")
    conn.info["sqlite_lazy_begin"] = reading
    if not reading:
        # Straight to the driver: this runs on every request, and a statement through SQLAlchemy costs ~20 µs more.
        conn.connection.driver_connection.execute("BEGIN" if method in (None, "OPTIONS") else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lazy_begin(conn, _cursor, statement, _parameters, _context, _executemany):
    """In a GET request, begin the transaction (BEGIN IMMEDIATE) just before the first statement that writes."""
    info = conn.info
    if info.get("sqlite_lazy_begin") and not statement.lstrip()[:7].upper().startswith(_READS):
        info["sqlite_lazy_begin"] = False
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")


_READS = ("SELECT", "WITH", "EXPLAIN", "PRAGMA")  # statements that need no transaction (one on its own is atomic)


def _request_method() -> str | None:
    """The current request's method, or None outside a request (CLI commands, tests, the importer)."""
    from flask import has_request_context, request

    return request.method if has_request_context() else None
