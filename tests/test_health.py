"""/healthz (liveness, no database) and /readyz (database, migrations at head, worker heartbeat when required)."""
import os
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from courseware import create_app
from courseware.models import utcnow
from courseware.extensions import db
from courseware.models import JobRun
from courseware.services import health, jobs, worker

from .conftest import _test_config
from .health_support import head, previous, stamp


def test_healthz_answers_ok_without_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert counter.count == 0, counter


def test_readyz_is_ok_when_the_database_is_at_the_migrations_head(client):
    stamp(head())
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok",
                             "checks": {"database": "ok", "migrations": "ok", "worker": "not required"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_when_migrations_are_behind(client):
    older = previous(head())
    stamp(older)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["reason"].startswith("migrations:")
    assert older in response.json["reason"] and head() in response.json["reason"]


def test_readyz_fails_on_a_database_never_migrated(client):
    stamp(None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database at none" in response.json["reason"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.mark.parametrize("bad_url", [
    "sqlite:////nonexistent-folder/for/courseware/test.db",
    f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing",
], ids=["sqlite", "postgresql"])
def test_readyz_fails_and_healthz_still_answers_when_the_database_is_down(tmp_path, bad_url):
    (tmp_path / "courses").mkdir()
    down = create_app(_test_config(bad_url, tmp_path))
    client = down.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"].startswith("database: unreachable")
    assert response.json["checks"]["migrations"] == "unknown"
    assert client.get("/healthz").status_code == 200


class TestWorkerRequired:
    @pytest.fixture
    def app_config(self):
        return {"READY_REQUIRES_WORKER": True, "WORKER_HEARTBEAT_MAX_AGE": 60}

    @pytest.mark.parametrize("seen_ago, status", [(None, 503), (5, 200), (600, 503)])
    def test_readyz_requires_a_recent_worker_heartbeat(self, client, monkeypatch, seen_ago, status):
        stamp(head())
        seen = None if seen_ago is None else utcnow() - timedelta(seconds=seen_ago)
        monkeypatch.setattr(health, "worker_last_seen", lambda: seen)
        response = client.get("/readyz")
        assert response.status_code == status, response.json
        assert (response.json["checks"]["worker"] == "ok") == (status == 200)

    def test_a_worker_poll_is_the_heartbeat_readyz_reads(self, client):
        stamp(head())
        assert client.get("/readyz").json["checks"]["worker"] == "never seen"
        worker.work_once()
        assert client.get("/readyz").status_code == 200
        assert health.worker_last_seen() > utcnow() - timedelta(minutes=1)
        later = utcnow() + timedelta(hours=2)  # a later poll keeps only the last hour's heartbeats
        jobs.run_due_jobs(now=later)
        rows = db.session.scalars(select(JobRun.started_at).where(JobRun.name == jobs.HEARTBEAT)).all()
        assert rows == [later]


def test_the_migrations_head_is_the_one_alembic_reads():
    names = {name.split("_", 1)[0] for name in os.listdir(health.MIGRATIONS_DIR / "versions") if name.endswith(".py")}
    assert health.migration_heads() <= names and len(health.migration_heads()) == 1
