"""Groups of tests that need something outside Python, and CI's rule that none of them is silently skipped.

- `browser`: every test under tests/browser/ (marked here, so a new file there is covered without a decorator);
  tests/browser/conftest.py skips them outside CI when Debian's chromium is missing.
- `postgres_only` / `sqlite_only`: run on that database only; on the other one they are skipped with a reason.
- `redis`: needs Redis at 127.0.0.1:6379; skipped with a reason when it does not answer, failed under CI.

Under CI (the environment variable CI set, as CI and .ci/run set it) a skipped test fails, except a
`postgres_only` test on SQLite and a `sqlite_only` test on PostgreSQL. A CI run of the whole suite also fails
unless at least one test of each group that belongs on this database ran (so a group cannot vanish unnoticed,
e.g. by a collection error or a deselection in addopts).
"""
import functools
import os
from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
ONLY_ON = {"postgres_only": "postgresql", "sqlite_only": "sqlite"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def in_ci() -> bool:
    """True when the environment variable CI is set to anything but an empty string, 0, false or no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def database_backend() -> str:
    """'sqlite' or 'postgresql': the database the suite runs on (COURSEWARE_TEST_DATABASE_URL, see conftest.py)."""
    from sqlalchemy.engine import make_url

    url = os.environ.get("COURSEWARE_TEST_DATABASE_URL")
    return make_url(url).get_backend_name() if url else "sqlite"


@functools.cache
def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=1).ping())
    except Exception:  # any failure means: not usable for the tests
        return False


def expected_groups() -> set[str]:
    """The groups that must run (and may not skip) in a CI run of the whole suite on this database."""
    backend = database_backend()
    return {"browser", "redis"} | {marker for marker, needed in ONLY_ON.items() if needed == backend}


def _may_skip(item) -> bool:
    backend = database_backend()
    return any(item.get_closest_marker(marker) and backend != needed for marker, needed in ONLY_ON.items())


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(config, items):
    backend = database_backend()
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)
        for marker, needed in ONLY_ON.items():
            if item.get_closest_marker(marker) and backend != needed:
                item.add_marker(pytest.mark.skip(reason=f"{marker}: runs on {needed} only, this run is on {backend}"))


def pytest_runtest_setup(item):
    if item.get_closest_marker("redis") and not redis_available():
        message = f"needs Redis at {REDIS_HOST}:{REDIS_PORT}"
        if in_ci():
            pytest.fail(f"{message}, and under CI it must run (.ci/run starts Redis)", pytrace=False)
        pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        if in_ci() and not _may_skip(item):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            report.outcome = "failed"
            report.longrepr = f"skipped, but under CI this test must run: {reason}"
    elif report.when == "call":
        ran = item.config.stash.setdefault(_RAN, set())
        ran.update(group for group in expected_groups() if item.get_closest_marker(group))
    return report


_RAN = pytest.StashKey[set]()
_MISSING = pytest.StashKey[list]()


def _whole_suite(config) -> bool:
    option = config.option
    return (config.args_source == pytest.Config.ArgsSource.TESTPATHS and not option.markexpr
            and not option.keyword and not option.collectonly)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not in_ci() or exitstatus != pytest.ExitCode.OK or not _whole_suite(config):
        return
    missing = sorted(expected_groups() - config.stash.get(_RAN, set()))
    if missing:
        config.stash[_MISSING] = missing
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = config.stash.get(_MISSING, [])
    if missing:
        terminalreporter.section("CI: groups that did not run", sep="=", red=True)
        terminalreporter.line(f"no test of {', '.join(missing)} ran on {database_backend()}; "
                              "under CI each of them must (see tests/groups.py)", red=True)
