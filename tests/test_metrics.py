"""/metrics: what it reports (requests, latencies, completions, mail failures, queue depth), who may read it, and
prometheus_client's multiprocess mode."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from courseware.extensions import db
from courseware.services import learning, mail, outbox

from .learning_factory import load, make_course

REPO = Path(__file__).resolve().parent.parent


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return 0.0


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_requests_are_counted_and_timed_per_endpoint_and_status(client):
    before = scrape(client)
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    after = scrape(client)
    assert sample(after, "courseware_http_requests_total", **labels) - sample(
        before, "courseware_http_requests_total", **labels) == 3
    assert sample(after, "courseware_http_request_duration_seconds_count", **labels) - sample(
        before, "courseware_http_request_duration_seconds_count", **labels) == 3
    assert sample(after, "courseware_http_request_duration_seconds_bucket", le="+Inf", **labels) >= 3
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert sample(after, "courseware_http_requests_total", **unmatched) > sample(
        before, "courseware_http_requests_total", **unmatched)
    assert sample(after, "courseware_queue_depth") == 0
    assert "# TYPE courseware_queue_depth gauge" in after


def test_completions_are_counted_once_committed(client, make_user):
    course = make_course("kurs")
    version = load(course).current_version
    before = sample(scrape(client), "courseware_completions_total")
    learning.complete_course(make_user("learner"), course, version)
    db.session.rollback()  # a rolled-back completion is not counted
    learning.complete_course(make_user("learner"), course, version)
    db.session.commit()
    outbox.take_ready()  # the completion e-mail is not this test's concern
    assert sample(scrape(client), "courseware_completions_total") - before == 1


def _broken_mail():
    raise RuntimeError("a bug in a mail function")


def test_mail_failures_are_counted(app, client, make_user):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here: the SMTP server is "down"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    user = make_user("learner")
    before = sample(scrape(client), "courseware_mail_failures_total")
    assert mail.send_mail(user, "Test", "password_changed", user=user) is False

    outbox.queue(outbox.register(_broken_mail))
    db.session.commit()
    assert outbox.deliver() == 1
    assert sample(scrape(client), "courseware_mail_failures_total") - before == 2


@pytest.mark.parametrize("address, allowed", [
    ("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.0.0.7", False), ("2001:db8::1", False),
])
def test_metrics_only_for_allowed_addresses(client, address, allowed):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == (200 if allowed else 403)
    assert ("courseware_http_requests_total" in response.get_data(as_text=True)) == allowed


class TestToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_ALLOW": "10.1.0.0/16", "METRICS_TOKEN": "s3cret-scrape-token"}

    @pytest.mark.parametrize("address, authorization, status", [
        ("192.0.2.1", "Bearer s3cret-scrape-token", 200),
        ("192.0.2.1", "bearer s3cret-scrape-token", 200),
        ("192.0.2.1", "Bearer wrong", 403),
        ("192.0.2.1", "Basic s3cret-scrape-token", 403),
        ("192.0.2.1", None, 403),
        ("127.0.0.1", None, 403),  # the default list is replaced
        ("10.1.2.3", None, 200),
    ])
    def test_token_or_configured_network(self, client, address, authorization, status):
        headers = {"Authorization": authorization} if authorization else {}
        response = client.get("/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers)
        assert response.status_code == status


MULTIPROCESS_SCRIPT = """
import sys
from courseware import create_app
from courseware.extensions import db
app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "COURSES_DIR": sys.argv[2], "SIGNING_KEYS_DIR": sys.argv[2]})
with app.app_context():
    db.create_all()
client = app.test_client()
if sys.argv[1] == "serve":
    for _ in range(2):
        assert client.get("/healthz").status_code == 200
else:
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set, a scrape in one process reports what other processes counted."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}

    def run(role):
        return subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, role, str(tmp_path)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120, check=True).stdout

    run("serve")
    run("serve")
    text = run("scrape")
    assert sample(text, "courseware_http_requests_total", endpoint="health.healthz", method="GET", status="200") == 4
    assert sample(text, "courseware_queue_depth") == 0
