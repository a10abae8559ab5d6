"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium), never a downloaded browser.

Outside CI a missing chromium skips these tests with a note; in CI (CI=true) it fails them.
"""
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()
