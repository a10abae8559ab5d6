"""Builders for the backup tests (tests/test_backup.py): an instance with a course, a firm, learners, progress, a
completion and its certificates, built through the services in whichever app is current; its tables as rows."""
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

from courseware.extensions import db

from .conftest import FIXTURE_COURSES

WHEN = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=timezone.utc)


def build_instance() -> dict:
    """In the current app: the `minimal` course imported, a verified firm, learners with progress, a completion
    with its certificates (personal and firm), a signing key, and a self-reference loaded out of id order."""
    from flask import current_app

    from courseware.content.importer import import_packages
    from courseware.models import Firm, User
    from courseware.services import learning, outbox
    from courseware.services.accounts import create_user
    from courseware.services.badges import keyring
    from courseware.services.catalogue import get_course, get_module

    keyring()
    package = Path(current_app.config["COURSES_DIR"]) / "minimal"
    shutil.copytree(FIXTURE_COURSES / "minimal", package)
    assert not import_packages([package]).refused
    db.session.commit()
    firm = Firm(orgnr="817920632", name="Testgården AS", verified_via="admin", verified_at=WHEN)
    db.session.add(firm)
    db.session.flush()
    people = [create_user(email=f"learner{i}@example.no", name=f"Lærer Æøå {i}", password="Riktig-hest-batteri-42",
                          role="learner") for i in range(3)]
    contact = create_user(email="kontakt@example.no", name="Kontakt", password="Riktig-hest-batteri-42", role="learner")
    db.session.flush()
    for user in people + [contact]:
        user.email_verified_at = WHEN
        user.firm_id = firm.id
    contact.is_firm_contact = True
    people[0].firm_invited_by_id = contact.id  # a later row: loaded only once every user is in
    db.session.commit()
    course = get_course("minimal")
    keys = [m["key"] for m in course.current_version.outline]
    ids = [user.id for user in people]
    from courseware.services.enrolment import enrol

    for user_id in ids:
        enrol(db.session.get(User, user_id), course, check_requires=False, now=WHEN)
    db.session.commit()
    db.session.remove()
    learner = db.session.get(User, ids[0])
    for key in keys:
        module = get_module("minimal", key)
        learning.mark_read(learner, module, now=WHEN)
        for index in range(len(module.tasks)):
            learning.set_task(learner, module, index, True, now=WHEN)
    db.session.commit()
    learning.mark_read(db.session.get(User, ids[1]), get_module("minimal", keys[0]), now=WHEN + timedelta(days=1))
    db.session.commit()
    db.session.remove()
    course, learner = get_course("minimal"), db.session.get(User, ids[0])
    learning.complete_course(learner, course, course.current_version, now=WHEN)
    db.session.commit()
    outbox.deliver()
    return {"learner_id": learner.id}


def snapshot() -> dict[str, list[tuple]]:
    """Every table's rows, ordered by primary key."""
    with db.engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables}


def raw_snapshot() -> dict[str, list[tuple]]:
    """Every table's rows as the database driver returns them (SQLite: the stored text of timestamps and JSON)."""
    with db.engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(text(
            f'SELECT {_names(table.columns)} FROM "{table.name}" ORDER BY {_names(table.primary_key.columns)}'))]
            for table in db.metadata.sorted_tables}


def _names(columns) -> str:
    return ", ".join(f'"{c.name}"' for c in columns)


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
