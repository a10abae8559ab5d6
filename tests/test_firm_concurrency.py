"""Firm membership at the same moment, on PostgreSQL: threads with their own sessions (like requests on several app
servers) approve one request twice, approve and decline it, ask to join twice, and approve a request while the
person accepts an invitation to another firm. Each time one wins, the rest get a Conflict, and no mail goes twice."""
import threading

import pytest
from sqlalchemy import func, select

from courseware.errors import Conflict
from courseware.extensions import db
from courseware.models import Firm, FirmInvitation, FirmJoinRequest, User, utcnow
from courseware.services import invitations, membership, outbox

from .firms_support import ORGNR_A, ORGNR_B, make_firm
from .test_concurrency import run_together

pytestmark = pytest.mark.postgres_only  # skipped on SQLite (tests/groups.py)


@pytest.fixture
def queued(monkeypatch):
    """The names of the mail functions queued by all threads."""
    calls, lock, real = [], threading.Lock(), outbox.queue

    def record(fn, *args, **kwargs):
        with lock:
            calls.append(fn.__name__)
        real(fn, *args, **kwargs)

    monkeypatch.setattr(outbox, "queue", record)
    return calls


def person(email, **attrs) -> int:
    user = User(email=email, name=email.split("@")[0].title(), password_hash="x", email_verified_at=utcnow(), **attrs)
    db.session.add(user)
    db.session.commit()
    return user.id


@pytest.fixture
def world():
    """Firm A (verified) with a contact person, an admin, and a learner with a pending request to join A."""
    firm = make_firm(ORGNR_A, "A AS")
    firm.verified_via, firm.verified_at = "admin", utcnow()
    db.session.commit()
    ids = {"firm": firm.id, "contact": person("kontakt@example.no", firm_id=firm.id, is_firm_contact=True),
           "admin": person("admin@example.no", role="admin"), "asker": person("soker@example.no")}
    asker = db.session.get(User, ids["asker"])
    ids["request"] = membership.request_to_join(asker, db.session.get(Firm, firm.id)).id
    db.session.commit()
    return ids


def decide(actor_id, request_id, approve):
    def job():
        return membership.decide_request(db.session.get(User, actor_id), request_id, approve).status
    return job


def test_two_tabs_approve_once(app, world, queued):
    jobs = [decide(world["contact"], world["request"], True), decide(world["admin"], world["request"], True)]
    results, errors = run_together(app, jobs)
    assert results == ["approved"] and len(errors) == 1 and isinstance(errors[0], Conflict)
    assert db.session.get(User, world["asker"]).firm_id == world["firm"]
    assert queued.count("send_decision_mail") == 1


def test_approve_and_decline_at_once_leave_one_answer(app, world, queued):
    jobs = [decide(world["contact"], world["request"], True), decide(world["admin"], world["request"], False)]
    results, errors = run_together(app, jobs)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict)
    request = db.session.get(FirmJoinRequest, world["request"])
    member = db.session.get(User, world["asker"]).firm_id == world["firm"]
    assert request.status == results[0] and member == (results[0] == "approved")
    assert queued.count("send_decision_mail") == 1


def test_asking_twice_at_once_makes_one_request_and_one_mail(app, queued):
    firm_id = make_firm(ORGNR_A, "A AS").id
    uid = person("soker@example.no")

    def ask():
        return membership.request_to_join(db.session.get(User, uid), db.session.get(Firm, firm_id)).id

    results, errors = run_together(app, [ask for _ in range(4)])
    assert errors == [] and len(set(results)) == 1
    assert db.session.scalar(select(func.count(FirmJoinRequest.id))) == 1
    assert queued.count("send_join_request_mail") == 1


def test_approved_while_accepting_an_invitation_elsewhere(app, world):
    """The person ends up in exactly one firm, and nothing deadlocks (both lock the person before the request)."""
    other = make_firm(ORGNR_B, "B AS").id
    db.session.add(FirmInvitation(firm_id=other, email="soker@example.no", token_hash=invitations.token_hash("t")))
    db.session.commit()

    def accept():
        return invitations.accept_invitation(db.session.get(User, world["asker"]), "t").joined

    for _round in range(3):
        results, errors = run_together(app, [decide(world["contact"], world["request"], True), accept])
        assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), errors
        firm_id = db.session.get(User, world["asker"]).firm_id
        request = db.session.get(FirmJoinRequest, world["request"])
        invitation = db.session.execute(select(FirmInvitation)).scalar_one()
        if firm_id == world["firm"]:
            assert request.status == "approved" and invitation.accepted_at is None
        else:
            assert firm_id == other and request.status == "withdrawn" and invitation.accepted_at is not None
        # Back to the start for another round.
        db.session.execute(FirmJoinRequest.__table__.update().values(status="pending", decided_at=None,
                                                                     decided_by_id=None))
        db.session.execute(FirmInvitation.__table__.update().values(accepted_at=None))
        db.session.execute(User.__table__.update().where(User.id == world["asker"]).values(firm_id=None))
        db.session.commit()
        db.session.remove()
