"""Backups: one tar.gz archive holding the database as portable JSON lines, the media store, the signing keys and
the settings (secrets only when asked); services/restore.py brings it back into an empty instance, SQLite or
PostgreSQL either way.

Archive members: `manifest.json` (first), `database/<table>.jsonl` (one row a line, tables in dependency order),
`media/ab/<sha256>` (from the media store, folder or S3: storage/), `keys/...` (SIGNING_KEYS_DIR), `settings.json`
(secrets left out unless asked) and, with secrets only, `secrets/secret_key` and `instance/config.py`. The manifest
names the sha256 of every other member.
"""
import base64
import hashlib
import json
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import JSON, Text, cast, inspect, select, text

from ..config import DefaultConfig
from ..errors import Conflict
from ..extensions import db
from ..models import utcnow
from ..storage import media_store

FORMAT = 1
MANIFEST = "manifest.json"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BATCH = 1000  # rows read at a time when dumping
# Settings whose values are secrets: left out of settings.json unless secrets are asked for.
SECRET_SETTING = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|PRIVATE|_KEY$")


@dataclass
class BackupResult:
    path: Path
    manifest: dict


# --- writing --------------------------------------------------------------------------------------------------


def write_backup(path: Path, *, include_secrets: bool = False) -> BackupResult:
    """Write the instance's backup archive to `path` (mode 0600; refused if it exists): a consistent snapshot of the
    database first, then the media and keys (media is content-addressed, so every asset a row names is there)."""
    path = Path(path)
    if path.exists():
        raise Conflict(f"{path} exists already: give another --output.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        staging = Path(tmp)
        files: dict[str, Path] = {}  # member name -> file to add
        revision, tables = _dump_database(staging, files)
        store = media_store()
        media = _media_sizes(store)  # member name -> (sha256, size): streamed from the store into the archive
        _add_folder(files, "keys", Path(current_app.config["SIGNING_KEYS_DIR"]))
        _write_json(staging / "settings.json", _settings(include_secrets))
        files["settings.json"] = staging / "settings.json"
        if include_secrets:
            (staging / "secret_key").write_text(str(current_app.config["SECRET_KEY"]))
            files["secrets/secret_key"] = staging / "secret_key"
            local_config = Path(current_app.instance_path) / "config.py"
            if local_config.is_file():
                files["instance/config.py"] = local_config
        manifest = {
            "format": FORMAT, "app_version": _app_version(), "alembic_revision": revision,
            "created_at": utcnow().isoformat(), "database": db.engine.dialect.name, "includes_secrets": include_secrets,
            "tables": tables, "members": dict(sorted(
                [(name, file_digest(file)) for name, file in files.items()]
                + [(name, {"sha256": sha256, "size": size}) for name, (sha256, size) in media.items()])),
        }
        _write_json(staging / MANIFEST, manifest)
        partial = staging / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            tar.add(staging / MANIFEST, MANIFEST, recursive=False)
            for name in sorted([*files, *media]):
                if name in media:
                    _add_media(tar, store, name, *media[name])
                else:
                    tar.add(files[name], name, recursive=False)
        os.replace(partial, path)
    return BackupResult(path, manifest)


def _dump_database(staging: Path, files: dict[str, Path]) -> tuple[str, list[dict]]:
    """Every table of the models' metadata as JSON lines, in one snapshot (a REPEATABLE READ transaction on
    PostgreSQL, one read transaction on SQLite); the Alembic revision and a description of each table."""
    (staging / "database").mkdir()
    order = db.metadata.sorted_tables
    position = {table.name: i for i, table in enumerate(order)}
    described = []
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = current_revision(conn)
            heads = migration_script().get_heads()
            if revision not in heads:
                raise Conflict(f"The database is at migration {revision}, not at this version's {', '.join(heads)}: "
                               "run `courseware init` (it migrates) first.")
            for table in order:
                kinds = {column.name: _kind(column.type) for column in table.columns}
                # Foreign keys to the same table (or a later one): loaded as NULL, then set once every row is in.
                deferred = sorted({fk.parent.name for fk in table.foreign_keys
                                   if position[fk.column.table.name] >= position[table.name]})
                name = f"database/{table.name}.jsonl"
                rows = _dump_table(conn, table, kinds, staging / name)
                files[name] = staging / name
                described.append({"name": table.name, "rows": rows, "member": name, "columns": kinds,
                                  "primary_key": [c.name for c in table.primary_key.columns], "deferred": deferred})
    return revision, described


def _dump_table(conn, table, kinds: dict[str, str], target: Path) -> int:
    # JSON columns are read as their text, so SQL NULL (None) and a JSON null ("null") stay apart.
    columns = [cast(c, Text).label(c.name) if kinds[c.name] == "json" else c for c in table.columns]
    stmt = select(*columns).order_by(*table.primary_key.columns)
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for row in conn.execution_options(yield_per=BATCH).execute(stmt).mappings():
            out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


def _encode(value):
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _kind(type_) -> str:
    """How a column's values are written in the dump (and typed when loaded): the column type's Python type."""
    impl = getattr(type_, "impl_instance", type_)  # a TypeDecorator (UTCDateTime) by the type it stores
    if isinstance(impl, JSON):
        return "json"
    try:
        python_type = impl.python_type
    except NotImplementedError:
        return "str"
    for cls, kind in ((bool, "bool"), (int, "int"), (float, "float"), (Decimal, "decimal"), (datetime, "datetime"),
                      (date, "date"), (time, "time"), (bytes, "bytes")):
        if issubclass(python_type, cls):
            return kind
    return "str"


def _media_sizes(store) -> dict[str, tuple[str, int]]:
    """Every object of the media store as its archive member name -> (sha256, size)."""
    return {f"media/{sha256[:2]}/{sha256}": (sha256, size) for sha256, size in store.listing()}


def _add_media(tar: tarfile.TarFile, store, name: str, sha256: str, size: int) -> None:
    """Copy one media object into the archive, checking on the way that it holds the bytes its key names."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(utcnow().timestamp())
    with store.open(sha256) as source:
        reader = _Hashing(source)
        try:
            tar.addfile(info, reader)
        except OSError as error:  # shorter than listed: changed under us
            raise Conflict(f"The media object {sha256} could not be read whole ({error}); no backup was written.")
    if reader.digest.hexdigest() != sha256:
        raise Conflict(f"The media object {sha256} does not hold the bytes its name says (damaged in the store); "
                       "no backup was written.")


class _Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, source):
        self.source, self.digest = source, hashlib.sha256()

    def read(self, size=-1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def _add_folder(files: dict[str, Path], prefix: str, folder: Path) -> None:
    """Every regular file under `folder` but hidden ones (e.g. an editor's or a half-written file)."""
    if not folder.is_dir():
        return
    for file in sorted(folder.rglob("*")):
        if file.is_file() and not file.is_symlink() and not file.name.startswith("."):
            files[f"{prefix}/{file.relative_to(folder).as_posix()}"] = file


def _settings(include_secrets: bool) -> dict:
    """The instance's effective settings (every name config.py declares); secrets replaced unless asked for."""
    settings = {}
    for name in sorted(n for n in vars(DefaultConfig) if n.isupper()):
        value = current_app.config.get(name)
        if not include_secrets:
            if SECRET_SETTING.search(name) and value:
                value = "(left out: a secret)"
            elif isinstance(value, str):
                value = _without_password(value)
        settings[name] = value
    return json.loads(json.dumps(settings, default=str))


def _without_password(value: str) -> str:
    """A URL with its password replaced (postgresql://user:pw@host/db, redis://:pw@host); anything else unchanged."""
    try:
        parts = urlsplit(value)
        if not parts.password:
            return value
    except ValueError:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":(left-out)@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# --- shared -----------------------------------------------------------------------------------------------------


def current_revision(conn) -> str | None:
    """The database's Alembic revision, or None when it has no alembic_version table."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migration_script():
    """Alembic's view of courseware/migrations (heads, every known revision)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def file_digest(file: Path) -> dict:
    """{"sha256": hex, "size": bytes} of a file, as the manifest names each member."""
    digest, size = hashlib.sha256(), 0
    with file.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _write_json(path: Path, document) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("courseware")
    except PackageNotFoundError:
        return "unknown"
