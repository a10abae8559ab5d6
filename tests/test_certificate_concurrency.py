"""Exactly once on PostgreSQL: simultaneous completions, confirmations, backfills and revocations (threads with
their own sessions, like requests on several app servers) leave one certificate per completion, one firm
certificate per firm and course, distinct codes and status entries, and one revocation."""
import pytest
from sqlalchemy import func, select

from courseware.errors import Conflict
from courseware.extensions import db
from courseware.models import Certificate, CertificateEvent, Completion, FirmCertificate, User, utcnow
from courseware.services import catalogue, certificate_admin, certificates, learning

from .certificates_support import certified_course, graduate, verified_firm
from .firms_support import complete as record_completion
from .test_concurrency import run_together

pytestmark = pytest.mark.postgres_only  # skipped on SQLite (tests/groups.py)


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _complete(user_id):
    def job():
        user = db.session.get(User, user_id)
        course = catalogue.get_course("kurs")
        return learning.complete_course(user, course, course.current_version) is not None
    return job


def test_simultaneous_completions_issue_one_certificate(app, make_user):
    certified_course()
    for _round in range(3):
        user = make_user("learner")
        results, errors = run_together(app, [_complete(user.id) for _ in range(6)])
        assert errors == [] and results.count(True) == 1
        assert _count(Completion, Completion.user_id == user.id) == 1
        assert _count(Certificate, Certificate.user_id == user.id) == 1
        db.session.remove()


def test_a_firms_people_completing_at_once_make_one_firm_certificate(app, make_user):
    course = certified_course()
    firm = verified_firm()
    ids = [make_user("learner", firm_id=firm.id).id for _ in range(8)]
    results, errors = run_together(app, [_complete(uid) for uid in ids])
    assert errors == [] and results == [True] * 8
    rows = db.session.execute(select(Certificate.code, Certificate.status_index)).all()
    assert len(rows) == 8 and len({code for code, _ in rows}) == 8 and len({index for _, index in rows}) == 8
    assert _count(FirmCertificate, FirmCertificate.firm_id == firm.id, FirmCertificate.course_id == course.id) == 1


def test_confirmation_and_backfill_at_once_issue_one_certificate(app, make_user):
    course = certified_course()
    user = make_user("learner", email_verified_at=None)
    record_completion(user, course)

    def confirm():
        me = db.session.get(User, user.id)
        me.email_verified_at = utcnow()
        db.session.flush()
        return certificates.issue_waiting(me)

    def backfill():
        return certificates.backfill().issued

    for _round in range(3):
        db.session.execute(db.delete(Certificate))
        db.session.execute(db.update(User).where(User.id == user.id).values(email_verified_at=utcnow()))
        db.session.commit()
        results, errors = run_together(app, [confirm, backfill, backfill, confirm])
        assert errors == [] and sum(results) == 1
        assert _count(Certificate) == 1
        db.session.remove()


def test_two_admins_revoking_at_once_revoke_once(app, make_user):
    cert = graduate(make_user, certified_course())
    admins = [make_user("admin").id for _ in range(4)]

    def revoke(admin_id):
        def job():
            return certificate_admin.revoke(db.session.get(User, admin_id), db.session.get(Certificate, cert.id),
                                            "issued_in_error").id
        return job

    results, errors = run_together(app, [revoke(a) for a in admins])
    assert len(results) == 1 and len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert _count(CertificateEvent) == 1
