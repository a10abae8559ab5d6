"""The worker: sends the outbox's due mail (services/outbox.py) and runs the periodic jobs (services/jobs.py).

`courseware worker` runs it in a process of its own (one or several, on any server); `courseware run` runs it in a
thread beside the web server, so a laptop needs nothing more.
"""
import logging
import threading

from flask import Flask

from ..extensions import db
from . import jobs, outbox

log = logging.getLogger("courseware.worker")


def work_once() -> tuple[int, list[str]]:
    """One poll: send what is due, then run the jobs whose slot has come; returns (messages tried, jobs run)."""
    return outbox.drain(), jobs.run_due_jobs()


def run_worker(app: Flask, stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Poll every WORKER_POLL_SECONDS until `stop` is set; an error is logged and the next poll tries again."""
    poll = app.config["WORKER_POLL_SECONDS"] if poll_seconds is None else poll_seconds
    while not stop.is_set():
        with app.app_context():
            try:
                work_once()
            except Exception:  # the database restarting, say: keep polling
                log.exception("Worker poll failed")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(poll)


def start_worker_thread(app: Flask, poll_seconds: float | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run the worker in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app, stop, poll_seconds), name="courseware-worker", daemon=True)
    thread.start()
    return thread, stop
