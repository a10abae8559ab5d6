"""Benchmark: does "forgot my password" answer in the same time for an address with and without an account?

Serves the app with waitress (as `courseware run --production` does) on SQLite in a temporary folder, with a local
SMTP server that takes --smtp-delay seconds to accept each message (a slow mail server), and posts the reset form
for a registered and an unknown address in turn, --requests times each, over fresh connections. Prints the median
and the 90th percentile of the response times side by side. The mail goes out after the response
(web/mail_after_response.py), so neither figure should contain the SMTP delay. Before each request the script waits
until the previous reset e-mail has arrived: the sending takes a server thread for that long after the response,
which a busy server would show as queueing for the next request, whatever its address.

    .venv/bin/python bench/reset_timing.py [--requests 200] [--smtp-delay 0.3]
"""
import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(delay: float, received) -> int:
    from aiosmtpd.controller import Controller

    class SlowHandler:
        async def handle_DATA(self, server, session, envelope):
            import asyncio

            await asyncio.sleep(delay)
            with received.get_lock():
                received.value += 1
            return "250 OK"

    port = free_port()
    Controller(SlowHandler(), hostname="127.0.0.1", port=port).start()
    return port


def wait_for(received, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while received.value < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"the SMTP server got {received.value} of {count} e-mails")
        time.sleep(0.002)


def post_reset(port: int, email: str) -> float:
    body = urlencode({"email": email})
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/auth/reset", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()  # Content-Length bytes: the whole response
    elapsed = time.perf_counter() - started
    connection.close()
    assert response.status == 302, response.status
    return elapsed


def serve(port: int, smtp_delay: float, received, ready) -> None:
    """The app under waitress with a slow SMTP server, in a process of its own (so that the client measuring it does
    not compete with the server's threads for one interpreter)."""
    import logging

    import waitress

    logging.getLogger("waitress").setLevel(logging.ERROR)  # "Task queue depth" notes
    logging.getLogger("courseware.mail").setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="cw-reset-"))
    os.environ["COURSEWARE_INSTANCE_PATH"] = str(tmp / "instance")
    smtp_port = start_smtp(smtp_delay, received)
    from courseware import create_app
    from courseware.extensions import db
    from courseware.services.accounts import create_user

    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
        "COURSES_DIR": str(tmp / "courses"), "MEDIA_DIR": str(tmp / "media"), "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "1000000 per minute", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
    })
    with app.app_context():
        db.create_all()
        create_user(email="finnes@example.no", name="Finnes", password="Et-langt-passord-123")
        db.session.commit()
        db.session.remove()
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    ready.set()
    server.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--smtp-delay", type=float, default=0.3)
    args = parser.parse_args()

    port = free_port()
    received, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, args.smtp_delay, received, ready), daemon=True)
    server.start()
    ready.wait(60)
    time.sleep(0.2)

    for _warm in range(10):
        post_reset(port, "ingen@example.no")
    times = {"registered": [], "unknown": []}
    for n in range(args.requests):
        times["registered"].append(post_reset(port, "finnes@example.no"))
        wait_for(received, n + 1)
        times["unknown"].append(post_reset(port, "ingen@example.no"))

    print(f"POST /auth/reset, {args.requests} requests each, SMTP server taking {args.smtp_delay * 1000:.0f} ms "
          "per message")
    print(f"{'address':12} {'median ms':>10} {'p90 ms':>8}")
    for label, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{label:12} {statistics.median(values) * 1000:10.2f} {p90 * 1000:8.2f}")
    print(f"reset e-mails received by the SMTP server: {received.value} (expected {args.requests})")
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
