"""Benchmark: the maker space's desk look-up with many accounts, beside a baseline in the same run.

Seeds --accounts accounts (one in ten a resident of the library, half of those signed off for its machines) and
times, --rounds times each:

- baseline: one user read by its primary key (what any page's login costs);
- pass:     the look-up by a scanned pass URL;
- code:     by a certificate code;
- email:    by an e-mail address;
- name:     by part of a name (matches up to 20 residents), the slowest kind.

Prints the median and the 90th percentile per kind, and the query count of one look-up. SQLite in a temporary
folder unless --database names another URL (a PostgreSQL database is emptied first).

    .venv/bin/python bench/workshop_desk.py [--accounts 20000] [--rounds 50] [--database URL]
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.certificates import timed  # noqa: E402 - after the path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database")
    args = parser.parse_args()

    from sqlalchemy import event, insert

    from courseware import create_app
    from courseware.extensions import db
    from courseware.models import (Completion, Course, CourseVersion, Enrolment, MachinePermission, Provider, User,
                                   WorkshopPass, utcnow)
    from courseware.services import workshop, workshop_desk
    from courseware.services.certificate_codes import new_code

    folder = tempfile.mkdtemp()
    url = args.database or f"sqlite:///{folder}/bench.db"
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://localhost",
                      "MEDIA_DIR": folder, "SIGNING_KEYS_DIR": folder})
    with app.app_context():
        db.drop_all()
        db.create_all()
        library = Provider(slug="bibliotek", name="Bibliotek", kind="library")
        db.session.add(library)
        db.session.flush()
        staff = User(email="staff@example.no", name="Ansatt", password_hash="x", role="author",
                     provider_id=library.id)
        course = Course(slug="laser", provider_id=library.id)
        db.session.add_all([staff, course])
        db.session.flush()
        version = CourseVersion(course_id=course.id, number=1, source_hash="h", title="Laser", outline=[],
                                certificate={"enabled": True})
        db.session.add(version)
        db.session.flush()
        course.current_version_id = version.id
        machines = [workshop.add_machine(staff, name=f"Maskin {i}", kind="other") for i in range(4)]
        workshop.set_course_grants(staff, "laser", machine_ids=[m.id for m in machines], valid_months="12")
        now = utcnow()
        db.session.execute(insert(User), [
            {"email": f"person{i}@example.no", "name": f"Person Etternavn{i}", "password_hash": "x",
             "role": "learner", "created_at": now, "session_stamp": ""} for i in range(args.accounts)])
        ids = [row[0] for row in db.session.execute(db.select(User.id).where(User.role == "learner")
                                                    .order_by(User.id))]
        residents = ids[::10]
        db.session.execute(insert(Enrolment), [{"user_id": u, "course_id": course.id, "enrolled_at": now}
                                               for u in residents])
        db.session.execute(insert(Completion), [{"user_id": u, "course_id": course.id, "completed_at": now}
                                                for u in residents[::2]])
        db.session.execute(insert(WorkshopPass), [{"user_id": u, "code": "VP" + new_code(), "created_at": now}
                                                  for u in residents])
        db.session.execute(insert(MachinePermission), [
            {"user_id": u, "machine_id": m.id, "provider_id": library.id, "course_id": course.id, "granted_at": now,
             "signed_off_by_name": "Ansatt", "note": "", "age_band": "unknown", "guardian_name": "",
             "withdrawn_reason": ""} for u in residents[::2] for m in machines])
        db.session.commit()
        target = residents[len(residents) // 2]
        person = db.session.get(User, target)
        person.email_verified_at = now
        workshop.sign_off(staff, person, "laser", machine_ids=[machines[0].id])  # a real pass and certificate
        db.session.commit()
        code = workshop.find_pass(target).code
        cert = db.session.execute(db.select(MachinePermission.certificate_id).where(
            MachinePermission.user_id == target, MachinePermission.certificate_id.is_not(None))).scalar()
        from courseware.models import Certificate
        cert_code = db.session.get(Certificate, cert).code if cert else None
        kinds = {
            "baseline": lambda: db.session.get(User, target, populate_existing=True),
            "pass": lambda: workshop_desk.lookup(staff, f"http://localhost/studio/workshop/desk?q={code}"),
            "email": lambda: workshop_desk.lookup(staff, person.email),
            "name": lambda: workshop_desk.lookup(staff, "Etternavn1"),
        }
        if cert_code:
            kinds["code"] = lambda: workshop_desk.lookup(staff, cert_code)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        workshop_desk.lookup(staff, code)
        count = len(statements)
        print(f"{args.accounts} accounts, {len(residents)} residents, {db.engine.dialect.name}; "
              f"one look-up by pass: {count} queries")
        print(f"{'kind':10} {'median ms':>10} {'p90 ms':>8} {'found':>6}")
        for name, fn in kinds.items():
            times = timed(fn, args.rounds)
            found = fn()
            found = len(found) if isinstance(found, list) else 1
            print(f"{name:10} {statistics.median(times) * 1000:10.2f} "
                  f"{statistics.quantiles(times, n=10)[-1] * 1000:8.2f} {found:6}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
