"""The maker space's part of the privacy export and of account deletion (services/privacy.py calls these)."""
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import Course, Machine, MachinePermission, Provider, WorkshopPass
from .workshop import find_pass


def export_for(user_id: int) -> dict:
    """The person's workshop pass and sign-offs, for their privacy export (services/privacy.py)."""
    found = find_pass(user_id)
    rows = db.session.execute(
        select(MachinePermission, Machine.name, Provider.name, Course.slug)
        .join(Machine, Machine.id == MachinePermission.machine_id)
        .join(Provider, Provider.id == MachinePermission.provider_id)
        .outerjoin(Course, Course.id == MachinePermission.course_id)
        .where(MachinePermission.user_id == user_id).order_by(MachinePermission.id)).all()

    def when(value):
        return value.isoformat() if value is not None else None

    return {
        "workshop_pass": None if found is None else {
            "code": found.code, "birth_year": found.birth_year, "created_at": when(found.created_at)},
        "machine_permissions": [{
            "machine": machine, "library": library, "course": slug, "granted_at": when(p.granted_at),
            "expires_at": when(p.expires_at), "signed_off_by": p.signed_off_by_name, "note": p.note,
            "guardian_name": p.guardian_name, "guardian_recorded_at": when(p.guardian_recorded_at),
            "withdrawn_at": when(p.withdrawn_at), "withdrawn_reason": p.withdrawn_reason,
        } for p, machine, library, slug in rows],
    }


def forget_person(user_id: int) -> None:
    """For account deletion: the pass goes; the person's sign-offs stay only as anonymous counts (machine, month,
    age band), and sign-offs they gave as staff stay without them."""
    quiet = {"synchronize_session": False}
    db.session.execute(delete(WorkshopPass).where(WorkshopPass.user_id == user_id), execution_options=quiet)
    db.session.execute(update(MachinePermission).where(MachinePermission.user_id == user_id).values(
        user_id=None, note="", guardian_name="", withdrawn_reason="", certificate_id=None), execution_options=quiet)
    for column in ("signed_off_by_id", "guardian_recorded_by_id", "withdrawn_by_id"):
        db.session.execute(update(MachinePermission).where(getattr(MachinePermission, column) == user_id)
                           .values({column: None}), execution_options=quiet)
