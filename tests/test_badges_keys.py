"""The platform's signing keys: made on first start (mode 0600, outside the repository), made once when several
processes start together, rotated with earlier keys kept, read once per process; and the `courseware keys` and
`courseware certificates verify` commands."""
import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from courseware import create_app
from courseware.extensions import db
from courseware.services import badges
from courseware.services.badges.keys import KeyStoreError, ensure_keys, read_keys, rotate_key

from .badges_support import make_certificate
from .conftest import REPO, _test_config


def _keys_dir(app) -> Path:
    return Path(app.config["SIGNING_KEYS_DIR"])


def test_the_first_key_is_made_on_first_use_readable_only_by_the_owner(app):
    directory = _keys_dir(app)
    assert not directory.exists()
    key = badges.keyring().current
    files = sorted(directory.iterdir())
    assert [f.name for f in files] == ["ed25519-0001.json"]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    data = json.loads(files[0].read_text())
    assert data["number"] == 1 and data["algorithm"] == "Ed25519"
    assert data["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    assert key.multikey.startswith("z6Mk") and key.number == 1


def test_the_default_keys_folder_is_in_the_instance_folder_which_git_ignores(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEWARE_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("COURSEWARE_SIGNING_KEYS_DIR", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SIGNING_KEYS_DIR"] == str(tmp_path / "inst" / "keys")
    assert not (tmp_path / "inst" / "keys").exists()  # the factory makes no key
    ignored = subprocess.run(["git", "check-ignore", "-q", "instance/keys/ed25519-0001.json"], cwd=REPO)
    assert ignored.returncode == 0


def test_init_makes_the_key(tmp_path):
    (tmp_path / "courses").mkdir()
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'init.db'}", tmp_path))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
    assert [key.number for key in read_keys(tmp_path / "keys").keys] == [1]


def test_keys_are_read_once_per_process_and_again_after_a_rotation_elsewhere(app, monkeypatch):
    badges.keyring()  # makes the first key (the folder changed under it, so the next call reads it once more)
    first = badges.keyring()
    reads = []
    monkeypatch.setattr("courseware.services.badges.keys.read_keys",
                        lambda directory: reads.append(directory) or read_keys(directory))
    assert badges.keyring() is first and badges.keyring() is first
    assert reads == []
    time.sleep(0.01)  # a later folder timestamp, on file systems with a coarse clock
    rotate_key(_keys_dir(app))  # as `courseware keys rotate` in another process does
    reads.clear()
    ring = badges.keyring()
    assert [key.number for key in ring.keys] == [1, 2] and ring.current.number == 2
    assert badges.keyring() is ring and len(reads) == 1


def test_rotation_keeps_every_earlier_key(tmp_path):
    directory = tmp_path / "keys"
    moments = [datetime(2026, month, 1, tzinfo=timezone.utc) for month in (1, 2, 3)]
    first = ensure_keys(directory, now=moments[0]).current
    second = rotate_key(directory, now=moments[1])
    third = rotate_key(directory, now=moments[2])
    ring = read_keys(directory)
    assert [key.multikey for key in ring.keys] == [first.multikey, second.multikey, third.multikey]
    assert ring.current.multikey == third.multikey and ring.find(first.multikey).created == moments[0]
    assert len({key.multikey for key in ring.keys}) == 3


RACER = """
import sys, time
from pathlib import Path
from courseware.services.badges.keys import ensure_keys, rotate_key
directory, start, action = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
while time.time() < start:
    pass
key = ensure_keys(directory).current if action == "start" else rotate_key(directory)
print(key.number, key.multikey)
"""


def _race(directory: Path, action: str, processes: int = 6) -> list[str]:
    start = time.time() + 1.5  # every process waits for the same moment, then all act at once
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(directory), str(start), action],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
             for _ in range(processes)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_processes_starting_at_once_make_one_key(tmp_path):
    directory = tmp_path / "keys"
    outputs = _race(directory, "start")
    assert len(set(outputs)) == 1 and outputs[0].startswith("1 z6Mk")
    assert [p.name for p in directory.iterdir()] == ["ed25519-0001.json"]  # no temporary file left behind


def test_rotations_at_once_make_one_key_each(tmp_path):
    directory = tmp_path / "keys"
    ensure_keys(directory)
    outputs = _race(directory, "rotate", processes=4)
    assert sorted(int(line.split()[0]) for line in outputs) == [2, 3, 4, 5]
    assert [key.number for key in read_keys(directory).keys] == [1, 2, 3, 4, 5]


def test_a_damaged_key_file_is_an_error_that_names_it(tmp_path):
    directory = tmp_path / "keys"
    ensure_keys(directory)
    (directory / "ed25519-0002.json").write_text('{"number": 2, "created": "2026-01-01T00:00:00Z"}')
    with pytest.raises(KeyStoreError, match="ed25519-0002.json"):
        read_keys(directory)


# --- The commands ---------------------------------------------------------------------------------------------

def test_keys_list_and_rotate_commands(app):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0
    first = badges.keyring().current
    assert f"   1  " in listed.output and f"{first.multikey}  current" in listed.output
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0 and "New signing key 2: z6Mk" in rotated.output
    listed = runner.invoke(args=["keys", "list"])
    lines = [line for line in listed.output.splitlines() if "z6Mk" in line]
    assert len(lines) == 2 and lines[0].endswith(first.multikey) and lines[1].endswith("current")


def test_certificates_verify_command(app, tmp_path):
    cert = make_certificate()
    path = tmp_path / "bevis.json"
    path.write_text(badges.credential_json(cert), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "verify", str(path), "--email", "kari.nordmann@example.no"])
    assert result.exit_code == 0, result.output
    assert "ok    proof" in result.output and "ok    recipient" in result.output and "Valid." in result.output
    changed = json.loads(path.read_text(encoding="utf-8"))
    changed["name"] = "Falsk kurs"
    path.write_text(json.dumps(changed), encoding="utf-8")
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code == 1 and "FAIL  proof" in result.output and "Not valid." in result.output
    path.write_bytes(b"\xff\xfe not json")
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code == 1 and "not JSON" in result.output
