"""Benchmark: the provider's CSV export of a course's learners (studio), on SQLite or PostgreSQL.

Imports one generated course (8 modules, each with a task and a quiz), adds --learners learners in
firms of ten, enrols them all and gives them varied progress (none, some modules, all modules, completed), then
times `studio.export_learners_csv` for the course. Baseline in the same run: the time to only read the learners'
rows (name, e-mail, firm, enrolment) with one plain SELECT, which no export can beat.

    .venv/bin/python bench/studio_export.py [--learners 16000] [--database-url URL]
"""
import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_and_serve import make_packages  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=16000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cw-export-"))
    make_packages(tmp / "courses", 1, 8)
    os.environ["COURSEWARE_INSTANCE_PATH"] = str(tmp / "instance")
    from courseware import create_app

    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "COURSES_DIR": str(tmp / "courses"), "MEDIA_DIR": str(tmp / "media"),
    })
    from sqlalchemy import func, insert, select

    from courseware.content.importer import import_packages
    from courseware.extensions import db
    from courseware.models import (Completion, Course, Enrolment, Firm, ModuleProgress, Provider, TaskCheck,
                                   User)
    from courseware.services import studio

    rng = random.Random(7)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with app.app_context():
        db.drop_all()
        db.create_all()
        import_packages(None)
        db.session.commit()
        course = db.session.execute(select(Course)).scalar_one()
        version = db.session.get(type(course).current_version.property.mapper.class_, course.current_version_id)
        outline = version.outline
        provider = db.session.execute(select(Provider)).scalar_one()
        author = User(email="forfatter@example.no", name="Forfatter", password_hash="x", role="author",
                      provider_id=provider.id)
        db.session.add(author)
        db.session.flush()

        t0 = time.perf_counter()
        firms = args.learners // 10 + 1
        db.session.execute(insert(Firm), [{"orgnr": f"9{n:08d}", "name": f"Bedrift {n} AS"} for n in range(firms)])
        firm_ids = db.session.execute(select(Firm.id).order_by(Firm.id)).scalars().all()
        db.session.execute(insert(User), [
            {"email": f"laerling{n}@example.no", "name": f"Lærling {n:05d}", "password_hash": "x",
             "role": "learner", "firm_id": firm_ids[n // 10]} for n in range(args.learners)])
        user_ids = db.session.execute(select(User.id).where(User.role == "learner").order_by(User.id)).scalars().all()
        db.session.execute(insert(Enrolment), [
            {"user_id": u, "course_id": course.id, "enrolled_at": now} for u in user_ids])
        progress, ticks, completions = [], [], []
        for u in user_ids:
            done = rng.choice([0, 0, 1, 3, len(outline), len(outline)])
            for entry in outline[:done]:
                progress.append({"user_id": u, "course_id": course.id, "module_key": entry["key"], "read_at": now,
                                 "quiz_passed_at": now if entry.get("quiz") else None, "best_score": 1.0,
                                 "updated_at": now})
                for index in range(int(entry.get("tasks") or 0)):
                    ticks.append({"user_id": u, "course_id": course.id, "module_key": entry["key"],
                                  "task_index": index, "checked_at": now})
            if done == len(outline) and rng.random() < 0.5:
                completions.append({"user_id": u, "course_id": course.id, "version_id": version.id,
                                    "completed_at": now})
        db.session.execute(insert(ModuleProgress), progress)
        if ticks:
            db.session.execute(insert(TaskCheck), ticks)
        db.session.execute(insert(Completion), completions)
        db.session.commit()
        print(f"data:      {args.learners} learners, {len(progress)} progress rows, {len(ticks)} ticked tasks, "
              f"{len(completions)} completions ({time.perf_counter() - t0:.1f} s to load)")

        author = db.session.get(User, author.id)
        course = studio.get_course_for(author, course.slug)
        floor, export = [], []
        for _ in range(args.repeat):
            db.session.expunge_all()
            t0 = time.perf_counter()
            rows = db.session.execute(
                select(User.name, User.email, Firm.name, Firm.orgnr, Enrolment.enrolled_at)
                .join(User, User.id == Enrolment.user_id).outerjoin(Firm, Firm.id == User.firm_id)
                .where(Enrolment.course_id == course.id).order_by(func.lower(User.name))
            ).all()
            floor.append(time.perf_counter() - t0)
            db.session.expunge_all()
            course = studio.get_course_for(db.session.get(User, author.id), course.slug)
            t0 = time.perf_counter()
            body = studio.export_learners_csv(db.session.get(User, author.id), course)
            export.append(time.perf_counter() - t0)
        lines = body.count("\r\n")
        assert lines == args.learners + 1 == len(rows) + 1, (lines, len(rows))
        print(f"baseline:  read the learners' rows only       {min(floor):6.2f} s (best of {args.repeat})")
        print(f"export:    CSV with progress for every learner {min(export):6.2f} s (best of {args.repeat}), "
              f"{args.learners / min(export):,.0f} learners/s, {len(body) / 1e6:.1f} MB")
        db.session.remove()
        if args.database_url:
            db.drop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
