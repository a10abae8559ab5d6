"""A fake Enhetsregisteret on 127.0.0.1 for the registry and verification tests: it serves the fixture JSON in the
open API's shape (GET /enheter/<orgnr> and GET /enheter/<orgnr>/roller), and a few numbers misbehave on purpose.

Import the fixtures into a test module: `from .registry_support import enable_api, fake_register`.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
FIXTURE = FIXTURES / "enheter.json"
ENTITIES = {e["organisasjonsnummer"]: e for e in json.loads(FIXTURE.read_text(encoding="utf-8"))}
# {orgnr: the /roller answer}; fictional people, the shape of the real API (rollegrupper -> roller -> person).
ROLES = json.loads((FIXTURES / "roller.json").read_text(encoding="utf-8"))


class FakeRegister(BaseHTTPRequestHandler):
    """Answers GET /enheter/<orgnr>[/roller] like the open API, from the fixtures."""

    requests: list = []
    behaviour = {"912660680": 410, "991825827": 500, "923609016": "garbage", "988077917": "slow"}
    released = threading.Event()  # a "slow" request is answered (with a real entity) only after the test

    def do_GET(self):  # noqa: N802 - http.server's naming
        FakeRegister.requests.append((self.path, self.headers.get("Accept")))
        parts = self.path.rstrip("/").split("/")
        roles = parts[-1] == "roller"
        orgnr = parts[-2] if roles else parts[-1]
        what = self.behaviour.get(orgnr)
        if what == "slow":
            FakeRegister.released.wait(timeout=30)
            found = ROLES.get("942110464") if roles else dict(ENTITIES["942110464"], organisasjonsnummer=orgnr)
            return self._send(200, json.dumps(found).encode())
        if isinstance(what, int):
            return self._send(what, b'{"feilmelding": "x"}')
        if what == "garbage":
            return self._send(200, b"<html>not json</html>")
        found = (ROLES if roles else ENTITIES).get(orgnr)
        if found is None:
            return self._send(404, b'{"feilmelding": "Enheten finnes ikke"}')
        return self._send(200, json.dumps(found).encode())

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_register():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRegister)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeRegister.requests = []
    FakeRegister.released.clear()
    yield f"http://127.0.0.1:{server.server_port}/enhetsregisteret/api"
    FakeRegister.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def enable_api(app, fake_register):
    app.config.update(BRREG_ENABLED=True, BRREG_URL=fake_register, BRREG_TIMEOUT=0.3)
    return fake_register
