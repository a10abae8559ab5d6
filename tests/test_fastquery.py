"""FastSelect: selects compiled once per dialect and run on a pooled DBAPI connection, with SQLAlchemy's result
processing, on SQLite and PostgreSQL alike."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, func, select

from courseware.extensions import db
from courseware.models.fastquery import FastSelect, executed
from courseware.models import Firm, User


def test_values_come_back_as_sqlalchemy_gives_them(app, make_user):
    user = make_user("learner", name="Kari Nordmann")
    created = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
    user.created_at = created
    user.share_progress = True
    db.session.commit()
    query = FastSelect(
        select(User.id, User.name, User.created_at, User.share_progress, User.last_login_at,
               (User.id * 1.5).label("score"))
        .where(User.email == bindparam("email"))
    )
    row = query.first(email=user.email)
    assert row == (user.id, "Kari Nordmann", created, True, None, user.id * 1.5)
    assert isinstance(row[2], datetime) and row[2].tzinfo is not None  # the UTCDateTime type's processing
    assert row[3] is True
    assert query.first(email="nobody@example.no") is None


def test_the_same_parameter_twice_and_in_any_order(app, make_user):
    user = make_user("learner")
    query = FastSelect(
        select(User.email).where(User.id == bindparam("id"), User.role == bindparam("role"),
                                 User.id >= bindparam("id"))
    )
    assert query.first(role="learner", id=user.id) == (user.email,)
    assert query.first(role="admin", id=user.id) is None


def test_connections_go_back_to_the_pool(app, make_user):
    make_user("learner")
    query = FastSelect(select(func.count(User.id)))
    for _ in range(50):
        assert query.first() == (1,)
    pool = db.engine.pool
    if hasattr(pool, "checkedout"):
        assert pool.checkedout() == 0


def test_it_sees_committed_rows_only_and_takes_no_lock(app):
    query = FastSelect(select(func.count(Firm.id)))
    assert query.first() == (0,)
    db.session.add(Firm(orgnr="817920632", name="Uferdig AS"))
    db.session.flush()  # not committed: another connection does not see it
    assert query.first() == (0,)
    db.session.commit()
    assert query.first() == (1,)


def test_statements_with_post_compile_parameters_are_refused(app):
    query = FastSelect(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError):
        query.first(ids=[1, 2])


def test_each_run_is_announced_for_query_counting(app):
    seen = []

    def record(_query, sql):
        seen.append(sql)

    executed.connect(record)
    try:
        FastSelect(select(func.count(User.id))).first()
    finally:
        executed.disconnect(record)
    assert len(seen) == 1 and "count" in seen[0].lower()
