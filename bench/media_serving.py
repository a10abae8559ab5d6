"""Benchmark: serving an asset from each media backend (issue 13), in one run side by side.

Starts moto's S3 server on 127.0.0.1 (a free port), imports the `minimal` fixture course plus a 4 MiB video into a
folder instance and into an S3 instance (SQLite in a temporary folder each), then times GET requests through the
app (Flask's test client, so the figures are the app's own work plus the store, without a network to the browser):

- folder: the file sent from MEDIA_DIR (the baseline: today's behaviour);
- s3 stream: the object read from the bucket and streamed through the app;
- s3 redirect: MEDIA_REDIRECT on, the 302 to a presigned URL (the bytes then come from the store, not the app);
- s3 304: a browser revalidating with If-None-Match (answered without asking the store).

    .venv/bin/python bench/media_serving.py [--requests 200]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
VIDEO_MB = 4


def make_course(courses: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "courses" / "minimal", courses / "minimal")
    video = courses / "minimal" / "assets" / "film.mp4"
    video.write_bytes(b"\0\0\0\x18ftypmp42" + os.urandom(VIDEO_MB * 1024 * 1024))
    module = courses / "minimal" / "modules" / "01-intro.md"
    module.write_text(module.read_text("utf-8") + "\n\n[Film](../assets/film.mp4)\n", "utf-8")


def make_app(root: Path, courses: Path, **settings):
    from courseware import create_app

    root.mkdir(parents=True)
    os.environ["COURSEWARE_INSTANCE_PATH"] = str(root / "instance")
    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
                       "COURSES_DIR": str(courses), "MEDIA_DIR": str(root / "media"), **settings})


def timed(client, url: str, n: int, expect: int, headers=None) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        answer = client.get(url, headers=headers or {})
        answer.get_data()
        times.append(time.perf_counter() - start)
        assert answer.status_code == expect, (url, answer.status_code)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                       "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.session.Session().client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    tmp = Path(tempfile.mkdtemp(prefix="cw-media-"))
    make_course(tmp / "courses")
    from courseware.content.importer import import_packages
    from courseware.extensions import db

    apps = {
        "folder": make_app(tmp / "folder", tmp / "courses"),
        "s3": make_app(tmp / "s3", tmp / "courses", MEDIA_BACKEND="s3", S3_BUCKET="bench", S3_ENDPOINT_URL=endpoint,
                       S3_REGION="us-east-1"),
    }
    for app in apps.values():
        with app.app_context():
            db.create_all()
            assert not import_packages(None).refused
            db.session.commit()
    png, video = "/courses/minimal/assets/fjos-sensor.png", "/courses/minimal/assets/film.mp4"
    n = args.requests
    rows = []
    for label, url, count in ((f"png ({(tmp / 'courses/minimal/assets/fjos-sensor.png').stat().st_size} B)", png, n),
                              (f"mp4 ({VIDEO_MB} MiB)", video, max(10, n // 10))):
        folder_client, s3_client = apps["folder"].test_client(), apps["s3"].test_client()
        timed(folder_client, url, 3, 200), timed(s3_client, url, 3, 200)  # warm up
        etag = s3_client.get(url).headers["ETag"]
        rows.append((label, "folder", timed(folder_client, url, count, 200)))
        rows.append((label, "s3 stream", timed(s3_client, url, count, 200)))
        apps["s3"].config["MEDIA_REDIRECT"] = True
        rows.append((label, "s3 redirect (302)", timed(s3_client, url, count, 302)))
        apps["s3"].config["MEDIA_REDIRECT"] = False
        rows.append((label, "s3 304 revalidation", timed(s3_client, url, count, 304, {"If-None-Match": etag})))
    print(f"{'asset':<16} {'backend':<22} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'per s':>8}")
    for label, mode, times in rows:
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{label:<16} {mode:<22} {len(times):>8} {median * 1000:>10.2f} {p95 * 1000:>8.2f} {1 / median:>8.0f}")
    server.stop()
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
