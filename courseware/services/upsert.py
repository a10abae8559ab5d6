"""INSERT ... ON CONFLICT for the databases we run on, so "create unless it exists" is one race-free statement."""
from sqlalchemy.sql.dml import Insert

from ..extensions import db


def conflict_insert(model) -> Insert | None:
    """A dialect insert for `model` that supports on_conflict_do_nothing/update (SQLite, PostgreSQL), else None."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    return insert(model)
