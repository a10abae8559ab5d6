"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium), never a downloaded browser.

Outside CI a missing chromium skips these tests with a note; in CI (CI=true) it fails them.
"""
import logging
import re
import time
from pathlib import Path

import pytest
from tests.live_server import serving

from courseware import create_app
from courseware.extensions import db
from tests.groups import in_ci

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or in_ci():
        return  # in CI the launch itself fails loudly when chromium is missing
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):  # tests/groups.py marks every test in this folder
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nb-NO"}


class MailLog(logging.Handler):
    """The e-mails the live server writes to the log (it has no SMTP server), to follow their links."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def count(self, email: str) -> int:
        """How many e-mails went to `email` so far."""
        return sum(email.lower() in message.split("\n\n", 1)[0].lower() for message in self.messages)

    def wait_for(self, email: str, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(email) < count:
            assert time.monotonic() < deadline, f"expected {count} e-mail(s) to {email}"
            time.sleep(0.05)

    def link(self, email: str, path: str, timeout: float = 20.0) -> str:
        """The path and query of the newest link starting with `path` in a mail to `email` (mail is sent after the
        response, so it may take a moment)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                headers = message.split("\n\n", 1)[0]
                found = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", message)
                if email.lower() in headers.lower() and found:
                    return found.group(1)
            time.sleep(0.05)
        seen = [message.split("\n\n", 1)[0].replace("\n", " | ") for message in self.messages[-5:]]
        raise AssertionError(f"no e-mail to {email} with a link to {path} within {timeout} s; "
                             f"{len(self.messages)} e-mails logged, the last ones: {seen}")


MAIL = MailLog()


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory):
    """The app with the demo courses imported, served on a free port for the module's tests."""
    from tests.conftest import _empty_all_tables, _test_config

    root = tmp_path_factory.mktemp("live")
    app = create_app(_test_config(database_url, root, COURSES_DIR=str(REPO / "courses"), WTF_CSRF_ENABLED=True))
    with app.app_context():
        from courseware.content.importer import import_packages

        report = import_packages(None)
        db.session.commit()
        assert not report.refused
        db.session.remove()
    mail_log = logging.getLogger("courseware.mail")
    mail_log.addHandler(MAIL)
    # waitress, as `courseware run` serves: it calls a response's close() (where mail is sent) even when the
    # browser has dropped the connection, which Werkzeug's development server does not.
    try:
        with serving(app, threads=8) as server:
            yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        mail_log.removeHandler(MAIL)
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()
