"""Benchmark: publishing a course from the studio against `courseware import` of the same change, in one run.

Imports the demo courses (courses/), then for each of them --repeat times: changes one line of one module and
publishes it through the studio (`drafts.publish`: the draft written to a temporary folder, checked and imported),
and, as the baseline, makes the same kind of change in the package folder and imports it with `import_packages`
(what `courseware import` does). Also times opening a course's draft for the first time (copying the published
version's files into the draft) and the live preview's render of one module body.

    .venv/bin/python bench/studio_publish.py [--repeat 5] [--database-url URL]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cw-publish-"))
    shutil.copytree(REPO / "courses", tmp / "courses")
    os.environ["COURSEWARE_INSTANCE_PATH"] = str(tmp / "instance")
    sys.path.insert(0, str(REPO))
    from courseware import create_app

    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "COURSES_DIR": str(tmp / "courses"), "MEDIA_DIR": str(tmp / "media"),
    })
    from sqlalchemy import select

    from courseware.content.importer import import_packages
    from courseware.content.package import discover_packages
    from courseware.extensions import db
    from courseware.models import Course
    from courseware.services import drafts
    from courseware.services.accounts import create_user

    timings = {"open the draft (first time)": [], "studio publish": [], "courseware import (baseline)": [],
               "live preview of one module": []}
    with app.app_context():
        db.create_all()
        report = import_packages(None)
        db.session.commit()
        assert not report.refused, report.refused
        admin = create_user(email="admin@example.no", name="Admin", password="bench-password-1", role="admin")
        db.session.commit()
        for path in discover_packages(tmp / "courses"):
            slug = path.name
            started = time.perf_counter()
            draft = drafts.open_draft(admin, slug)
            db.session.commit()
            timings["open the draft (first time)"].append(time.perf_counter() - started)
            module = next(f for f in drafts.draft_files(draft) if f.kind == "module")
            body = module.text.split("\n---\n", 1)[-1]
            for n in range(args.repeat):
                item = drafts.get_file(draft, module.path)
                drafts.save_text(admin, draft, item.path, item.text + f"\nEndring {n} fra studioet.\n", item.revision)
                db.session.commit()
                started = time.perf_counter()
                drafts.publish(admin, draft)
                db.session.commit()
                timings["studio publish"].append(time.perf_counter() - started)

                target = path / module.path
                target.write_text(target.read_text("utf-8") + f"\nEndring {n} fra git.\n", "utf-8")
                started = time.perf_counter()
                result = import_packages([path])
                db.session.commit()
                timings["courseware import (baseline)"].append(time.perf_counter() - started)
                assert result.updated, result.refused

                started = time.perf_counter()
                drafts.render_body(draft, body, f"/studio/courses/{slug}/preview/", audience="staff")
                timings["live preview of one module"].append(time.perf_counter() - started)
        versions = {c.slug: c.current_version_id for c in db.session.execute(select(Course)).scalars()}
    print(f"{len(versions)} courses, {args.repeat} changes each through the studio and as many through import "
          f"({'PostgreSQL' if args.database_url else 'SQLite'})\n")
    print(f"| {'what':<32} | {'median':>9} | {'max':>9} | {'n':>3} |")
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 11}|{'-' * 5}|")
    for name, values in timings.items():
        print(f"| {name:<32} | {statistics.median(values) * 1000:6.1f} ms | {max(values) * 1000:6.1f} ms | "
              f"{len(values):>3} |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
