"""Backups (services/backup.py and restore.py, `courseware backup` / `restore`): an instance with courses, learners,
firms, progress, completions and certificates goes through an archive into an empty database, on SQLite, on PostgreSQL
and across the two, and every table's rows compare equal; damaged archives, filled targets and secrets."""
import hashlib
import io
import json
import os
import tarfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from courseware import create_app
from courseware.errors import Conflict, InvalidInput
from courseware.extensions import db
from courseware.services import backup, health, restore

from .backup_support import build_instance, files_under, raw_snapshot, snapshot
from .conftest import _test_config
from .groups import database_backend

# --- source and target instances ----------------------------------------------------------------------------------


@pytest.fixture
def app_config():
    """Every source instance here has an SMTP password, which a backup must leave out unless asked."""
    return {"MAIL_PASSWORD": "smtp-passord-hemmelig"}



@pytest.fixture
def stamped(app):
    """The test database (made by create_all) marked as at the newest migration, as `courseware init` leaves it."""
    from flask_migrate import stamp

    stamp(directory=str(backup.MIGRATIONS))
    yield app
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _postgres_target_url() -> str:
    """A second PostgreSQL database beside the test database (<name>2), created when missing, emptied."""
    url = make_url(os.environ["COURSEWARE_TEST_DATABASE_URL"])
    target = url.set(database=f"{url.database}2")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    _wipe_postgres(target)
    return target.render_as_string(hide_password=False)


def _wipe_postgres(url) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def make_instance(tmp_path, monkeypatch):
    """make_instance(kind, name, **settings) -> a new app on an empty database of that kind ("sqlite" or
    "postgresql"), with its own instance, media and keys folders (and these settings)."""
    made = []

    def _make(kind: str, name: str = "target", **settings):
        root = tmp_path / name
        (root / "courses").mkdir(parents=True)
        monkeypatch.setenv("COURSEWARE_INSTANCE_PATH", str(root / "instance"))
        url = f"sqlite:///{root / 'courseware.db'}" if kind == "sqlite" else _postgres_target_url()
        config = _test_config(url, root, **settings)
        config.pop("SECRET_KEY")  # from instance/secret_key, as a deployment has it
        application = create_app(config)
        made.append((application, url))
        return application

    yield _make
    for application, url in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        if url.startswith("postgresql"):
            _wipe_postgres(url)


@contextmanager
def inside(application):
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()


def round_trip(source, target, tmp_path) -> Path:
    """Build the instance in `source`, back it up, restore it into `target`; assert tables, media and keys equal."""
    with inside(source):
        build_instance()
        expected, raw, source_kind = snapshot(), raw_snapshot(), db.engine.dialect.name
        archive = backup.write_backup(tmp_path / "instance.tar.gz").path
        media, keys = (files_under(Path(source.config[k])) for k in ("MEDIA_DIR", "SIGNING_KEYS_DIR"))
    with inside(target):
        result = restore.restore_backup(archive)
        assert snapshot() == expected
        if db.engine.dialect.name == source_kind:
            assert raw_snapshot() == raw  # stored exactly as the app stores it (e.g. SQLite's timestamp text)
        assert files_under(Path(target.config["MEDIA_DIR"])) == media and media
        assert files_under(Path(target.config["SIGNING_KEYS_DIR"])) == keys and keys
        key_folder = Path(target.config["SIGNING_KEYS_DIR"])
        assert {oct(p.stat().st_mode & 0o777) for p in [key_folder, *key_folder.iterdir()]} <= {"0o700", "0o600"}
        assert {t["name"]: t["rows"] for t in result.manifest["tables"]} == {k: len(v) for k, v in expected.items()}
        for table in ("courses", "users", "enrolments", "module_progress", "completions", "certificates",
                      "firm_certificates", "task_checks", "assets"):
            assert expected[table], table
        # New rows get new ids (PostgreSQL's sequences were moved past the restored ones).
        from courseware.services.accounts import create_user

        user = create_user(email="ny@example.no", name="Ny", password="Riktig-hest-batteri-42", role="learner")
        db.session.commit()
        assert user.id == max(row[0] for row in expected["users"]) + 1
    return archive


# --- round trips --------------------------------------------------------------------------------------------------


def test_round_trip_on_the_same_database_kind(stamped, make_instance, tmp_path):
    target = make_instance(database_backend())
    round_trip(stamped, target, tmp_path)


@pytest.mark.postgres_only
def test_postgresql_backup_restores_into_sqlite(stamped, make_instance, tmp_path):
    round_trip(stamped, make_instance("sqlite"), tmp_path)


@pytest.mark.postgres_only
def test_sqlite_backup_restores_into_postgresql(app, make_instance, tmp_path):
    from flask_migrate import upgrade

    source = make_instance("sqlite", "source")
    with inside(source):
        upgrade(directory=str(backup.MIGRATIONS))
    round_trip(source, make_instance("postgresql"), tmp_path)


# --- refusals -----------------------------------------------------------------------------------------------------


def _rewrite(archive: Path, change) -> Path:
    """A copy of the archive with change(name, data) -> data applied to every member (the manifest untouched)."""
    damaged = archive.with_name("damaged.tar.gz")
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as out:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return damaged


@pytest.fixture
def archive(stamped, tmp_path):
    build_instance()
    path = backup.write_backup(tmp_path / "instance.tar.gz").path
    db.session.remove()
    return path


def _untouched(target) -> None:
    """No table, no media file, no key: the refused restore wrote nothing."""
    from sqlalchemy import inspect

    with inside(target), db.engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    for setting in ("MEDIA_DIR", "SIGNING_KEYS_DIR"):
        folder = Path(target.config[setting])
        assert not folder.exists() or not files_under(folder)


def test_a_database_not_at_the_newest_migration_is_not_backed_up(app, tmp_path):
    with pytest.raises(Conflict, match="courseware init"):
        backup.write_backup(tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()


def test_a_damaged_archive_is_refused_and_nothing_written(archive, make_instance):
    def change(name, data):
        return data.replace(b"learner1@example.no", b"learner9@example.no") if name == "database/users.jsonl" else data

    damaged = _rewrite(archive, change)
    target = make_instance("sqlite")
    with inside(target), pytest.raises(InvalidInput, match="database/users.jsonl"):
        restore.restore_backup(damaged)
    _untouched(target)


def test_a_truncated_archive_is_refused(archive, make_instance, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = make_instance("sqlite")
    with inside(target), pytest.raises(InvalidInput, match="not a readable backup"):
        restore.restore_backup(cut)
    _untouched(target)


def test_a_member_outside_the_archive_folder_is_refused(archive, make_instance, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(evil, "w:gz") as out:
        for member in src:
            out.addfile(member, src.extractfile(member))
        member = tarfile.TarInfo("../escaped.txt")
        member.size = 2
        out.addfile(member, io.BytesIO(b"hi"))
    with inside(make_instance("sqlite")), pytest.raises(InvalidInput, match="unexpected member"):
        restore.restore_backup(evil)
    assert not (tmp_path / "escaped.txt").exists()


def test_a_database_with_rows_is_refused_and_unchanged(archive, app):
    before, media = snapshot(), files_under(Path(app.config["MEDIA_DIR"]))
    with pytest.raises(Conflict, match="not empty"):
        restore.restore_backup(archive)
    assert snapshot() == before and files_under(Path(app.config["MEDIA_DIR"])) == media


def test_a_backup_from_a_newer_schema_is_refused(archive, make_instance):
    def change(name, data):
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "ffffffffffff"
        return json.dumps(manifest).encode()

    target = make_instance("sqlite")
    with inside(target), pytest.raises(Conflict, match="newer database schema"):
        restore.restore_backup(_rewrite(archive, change))
    _untouched(target)


# What the newest migration (f4eca2b65fb2, the studio) added: a backup made before it has none of these.
STUDIO_TABLES = {"staff_invitations", "studio_events", "course_drafts", "draft_files"}
# Tables of the migrations after it (outbox and jobs; MFA and audit; digital maturity; the maker space): an older
# backup has none of them either.
LATER_TABLES = {"outbox_messages", "job_runs", "totp_credentials", "recovery_codes", "audit_events",
                "dma_assessments", "dma_answers", "dma_scores", "dma_delegations",
                "machines", "machine_grants", "workshop_passes", "machine_permissions"}
# Columns later migrations add, with the value they get (their server default) when an older backup is migrated.
LATER_COLUMNS = {"course_versions": {"dma_dimensions": []}}
STUDIO_COLUMNS = {"course_versions": {"manifest_source", "published_by_id"}, "courses": {"retired_at"},
                  "modules": {"source"}, "providers": {"municipality_code", "logo_sha256", "logo_content_type"}}


def _as_before_the_studio(archive: Path) -> Path:
    """The archive as the version before the studio migration would have written it (same rows, fewer columns)."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    manifest = json.loads(members.pop(backup.MANIFEST))
    manifest["alembic_revision"] = backup.migration_script().get_revision("f4eca2b65fb2").down_revision
    manifest["tables"] = [t for t in manifest["tables"] if t["name"] not in STUDIO_TABLES | LATER_TABLES]
    for described in manifest["tables"]:
        gone = STUDIO_COLUMNS.get(described["name"], set()) | set(LATER_COLUMNS.get(described["name"], {}))
        described["columns"] = {k: v for k, v in described["columns"].items() if k not in gone}
        described["deferred"] = [c for c in described["deferred"] if c not in gone]
        lines = members[described["member"]].decode().splitlines()
        members[described["member"]] = "".join(
            json.dumps({k: v for k, v in json.loads(line).items() if k not in gone}) + "\n" for line in lines).encode()
    for name in [n for n in members
                 if n.removeprefix("database/").removesuffix(".jsonl") in STUDIO_TABLES | LATER_TABLES]:
        del members[name]
    manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in members.items()}
    older = archive.with_name("older.tar.gz")
    with tarfile.open(older, "w:gz") as out:
        for name, data in [(backup.MANIFEST, json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return older


def test_a_backup_from_an_older_schema_is_restored_then_migrated(stamped, make_instance, tmp_path):
    build_instance()
    expected = snapshot()
    archive = _as_before_the_studio(backup.write_backup(tmp_path / "instance.tar.gz").path)
    assert not any(expected[name] for name in STUDIO_TABLES)
    expected.update({name: [] for name in LATER_TABLES})  # made empty by their migrations
    for table in db.metadata.sorted_tables:  # the columns the migration adds are empty after it
        gone = [i for i, c in enumerate(table.columns) if c.name in STUDIO_COLUMNS.get(table.name, ())]
        later = {i: LATER_COLUMNS[table.name][c.name] for i, c in enumerate(table.columns)
                 if c.name in LATER_COLUMNS.get(table.name, {})}
        expected[table.name] = [tuple(None if i in gone else later.get(i, v) for i, v in enumerate(row))
                                for row in expected[table.name]]
    target = make_instance(database_backend())
    with inside(target):
        result = restore.restore_backup(archive)
        assert snapshot() == expected
        assert backup.current_revision(db.session.connection()) in health.migration_heads()
    assert any("migrated" in note for note in result.notes)


def test_foreign_signing_keys_are_refused(archive, make_instance):
    target = make_instance("sqlite")
    keys = Path(target.config["SIGNING_KEYS_DIR"])
    keys.mkdir(parents=True)
    (keys / "ed25519-0001.json").write_text("{}")
    with inside(target), pytest.raises(Conflict, match="signing keys"):
        restore.restore_backup(archive)


# --- secrets ------------------------------------------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def test_secrets_are_left_out_by_default(stamped, tmp_path):
    (Path(stamped.instance_path)).mkdir(exist_ok=True)
    path = backup.write_backup(tmp_path / "b.tar.gz").path
    members = _members(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not any(name.startswith(("secrets/", "instance/")) for name in members)
    everything = b"".join(members.values())
    assert b"smtp-passord-hemmelig" not in everything and b"test-secret-key" not in everything
    settings = json.loads(members["settings.json"])
    assert settings["MAIL_PASSWORD"] == "(left out: a secret)"
    assert settings["MAX_ASSET_MB"] == stamped.config["MAX_ASSET_MB"]
    assert json.loads(members[backup.MANIFEST])["includes_secrets"] is False


def test_secrets_when_asked_for_are_restored(stamped, make_instance, tmp_path):
    path = backup.write_backup(tmp_path / "b.tar.gz", include_secrets=True).path
    members = _members(path)
    assert members["secrets/secret_key"] == b"test-secret-key"
    assert json.loads(members["settings.json"])["MAIL_PASSWORD"] == "smtp-passord-hemmelig"
    target = make_instance("sqlite")
    with inside(target):
        result = restore.restore_backup(path)
    assert (Path(target.instance_path) / "secret_key").read_text() == "test-secret-key"
    assert any("secret key" in note for note in result.notes)


def test_database_urls_lose_their_passwords():
    url = "postgresql+psycopg://cw:hemmelig@db/cw"
    assert backup._without_password(url) == "postgresql+psycopg://cw:(left-out)@db/cw"
    assert backup._without_password("redis://:hemmelig@127.0.0.1:6379/0") == "redis://:(left-out)@127.0.0.1:6379/0"
    assert backup._without_password("memory://") == "memory://"


# --- the commands -------------------------------------------------------------------------------------------------


def test_backup_and_restore_commands(stamped, make_instance, tmp_path):
    build_instance()
    output = tmp_path / "cli.tar.gz"
    result = stamped.test_cli_runner().invoke(args=["backup", "--output", str(output), "--include-secrets"])
    assert result.exit_code == 0, result.output
    assert "SECRETS" in result.output and output.exists()
    again = stamped.test_cli_runner().invoke(args=["backup", "--output", str(output)])
    assert again.exit_code == 1 and "exists already" in again.output
    refused = stamped.test_cli_runner().invoke(args=["restore", str(output)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    target = make_instance("sqlite")
    with inside(target):
        restored = target.test_cli_runner().invoke(args=["restore", str(output)])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
