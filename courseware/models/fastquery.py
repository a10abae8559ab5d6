"""Hot read queries run straight on a pooled DBAPI connection, compiled once per database dialect.

The module page is the page learners open most, and its one query costs little in the database. Most of its cost
was SQLAlchemy's machinery around it: a Session transaction and a Connection (begin, events, result objects and
rollback) cost about 60 µs per request, a raw pooled connection about 7 µs. So the few queries on the hottest
pages are written with SQLAlchemy (portable SQL, one definition) and *run* with the DBAPI:

    PAGE = FastSelect(select(Module.id, ...).where(Course.slug == bindparam("slug")))
    row = PAGE.first(slug="...")      # a tuple with SQLAlchemy's result processing (dates, booleans), or None

Only for reads. On SQLite a statement runs outside any transaction (the driver is in autocommit mode, see
extensions.py); on PostgreSQL in the driver's implicit transaction, which the pool rolls back when the connection
goes back. The statement must not need SQLAlchemy's "post-compile" parameters (IN lists, literal binds), and
parameters go to the driver as given, without SQLAlchemy's bind processing: pass strings and numbers.

`executed` is a signal sent with the SQL of every run, so tests can count these queries with the others.
"""
from blinker import Namespace

from ..extensions import db

executed = Namespace().signal("courseware-fast-query")


class FastSelect:
    """A select compiled once per dialect, run on a pooled DBAPI connection (see the module docstring)."""

    def __init__(self, statement):
        self.statement = statement
        self._prepared: dict[str, tuple] = {}  # dialect name -> (compiled statement, result processors)

    def _prepare(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("FastSelect cannot run statements with post-compile parameters")
        return compiled

    def _processors(self, dialect, description) -> tuple:
        """SQLAlchemy's result processors for the columns (some depend on the driver's column type codes)."""
        return tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, entry[1])
            for column, entry in zip(self.statement.selected_columns, description)
        )

    def first(self, **params) -> tuple | None:
        """The first row (as a tuple of Python values) for these parameters, or None."""
        engine = db.engine
        dialect = engine.dialect
        prepared = self._prepared.get(dialect.name)
        if prepared is None:
            compiled, processors = self._prepare(dialect), None
        else:
            compiled, processors = prepared
        sql = compiled.string
        # construct_params knows the compiled names (a parameter used twice may be "id" and "id_1") and the
        # statement's own literal values.
        values = compiled.construct_params(params)
        args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, args)
                row = cursor.fetchone()
                if processors is None:
                    processors = self._processors(dialect, cursor.description)
                    self._prepared[dialect.name] = (compiled, processors)
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back whatever the driver began
        if executed.receivers:
            executed.send(self, sql=sql)
        if row is None:
            return None
        return tuple(value if proc is None or value is None else proc(value) for proc, value in zip(processors, row))
