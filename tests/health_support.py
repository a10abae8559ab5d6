"""Stamping the test database with an Alembic revision, as `flask db upgrade` leaves a real one.

The tests build their schema with create_all(), so the database has no alembic_version table until a test stamps
one; conftest's table emptying drops it again after each test."""
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from courseware.extensions import db
from courseware.services.health import MIGRATIONS_DIR


def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head() -> str:
    return scripts().get_current_head()


def previous(revision: str) -> str:
    """The revision just before `revision` (an older schema)."""
    down = scripts().get_revision(revision).down_revision
    assert isinstance(down, str), f"{revision} has {down!r} before it"
    return down


def stamp(revision: str | None) -> None:
    """Record `revision` as the database's schema revision (None: as if never migrated)."""
    # On the session's own connection: another connection's write would end the session's SQLite read snapshot.
    connection = db.session.connection()
    connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    if revision is not None:
        MigrationContext.configure(connection).stamp(scripts(), revision)
    db.session.commit()
