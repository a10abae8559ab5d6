"""Restoring a backup (services/backup.py writes it) into an empty instance: every check before anything is
written, the schema by the migrations, the rows in one transaction; SQLite and PostgreSQL either way."""
import base64
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Float, LargeBinary, MetaData, Numeric,
                        Table, Text, Time, bindparam, func, inspect, select, text)

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..storage import media_store
from .backup import FORMAT, MANIFEST, MIGRATIONS, current_revision, file_digest, migration_script

BATCH = 1000  # rows per INSERT
_KIND_TYPES = {
    "datetime": DateTime(timezone=True), "date": Date(), "time": Time(), "bytes": LargeBinary(), "decimal": Numeric(),
    "bool": Boolean(), "int": BigInteger(), "float": Float(), "str": Text(), "json": JSON(none_as_null=True),
}


@dataclass
class RestoreResult:
    manifest: dict
    notes: list[str] = field(default_factory=list)  # what the operator should know (settings kept, keys, ...)


def restore_backup(path: Path) -> RestoreResult:
    """Bring a backup back into this instance, whose database must be empty. Every check (archive readable, every
    sha256, migration revision, empty database, no foreign signing keys) happens before anything is written; then
    the schema is made by the migrations (up to the backup's revision), the files are copied, the rows are loaded in
    one transaction and, for a backup from an older version, the later migrations run on the restored data."""
    with tempfile.TemporaryDirectory(prefix="courseware-restore-") as tmp:
        folder = Path(tmp)
        manifest = _unpack(Path(path), folder)
        revision = _check_revision(manifest)
        target_revision = _check_empty_database(revision)
        _check_keys_folder(manifest)
        media = _media_members(manifest)
        notes = []
        if target_revision is None:
            _migrate(revision)
        store, types = media_store(), _media_types(manifest, folder)
        for name, sha256 in media:
            with (folder / name).open("rb") as source:
                store.put(sha256, source, types.get(sha256))
        _copy_files(manifest, folder, "keys", Path(current_app.config["SIGNING_KEYS_DIR"]), private=True)
        notes += _restore_secrets(manifest, folder)
        _load_database(manifest, folder)
    if revision not in migration_script().get_heads():
        _migrate("head")
        notes.append(f"The backup was made at migration {revision}; the database was migrated to this version's.")
    if not manifest["includes_secrets"]:
        notes.append("The backup holds no secrets: this instance keeps its own secret key (everyone logs in again; "
                     "links in e-mails sent before the backup no longer work) and its own settings.")
    return RestoreResult(manifest, notes)


def _unpack(path: Path, folder: Path) -> dict:
    """Extract the archive into `folder`, checking every member's name, sha256 and size against the manifest."""
    found: dict[str, dict] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = member.name
                parts = PurePosixPath(name).parts
                if (not member.isfile() or name in found or not parts or PurePosixPath(name).is_absolute()
                        or any(p in ("", ".", "..") for p in parts)):
                    raise InvalidInput(f"{path}: unexpected member {name!r}; not a Courseware backup. "
                                       "Nothing was changed.")
                target = folder.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                found[name] = file_digest(target)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise InvalidInput(f"{path}: not a readable backup archive ({error}). Nothing was changed.") from error
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: no readable {MANIFEST}; not a Courseware backup. Nothing was changed.") from error
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{path}: backup format {manifest.get('format')!r}; this version reads format {FORMAT}. "
                           "Nothing was changed.")
    found.pop(MANIFEST)
    expected = manifest["members"]
    damaged = sorted(name for name in set(found) | set(expected) if found.get(name) != expected.get(name))
    if damaged:
        shown = ", ".join(damaged[:5]) + (f" and {len(damaged) - 5} more" if len(damaged) > 5 else "")
        raise InvalidInput(f"{path}: damaged backup: {shown} missing, unexpected or not matching its sha256 in the "
                           "manifest. Nothing was changed.")
    return manifest


def _check_revision(manifest: dict) -> str:
    """The backup's migration revision: this version's newest, or an older one this version can migrate from (the
    restore then migrates); a revision this version does not know (a newer Courseware made it) is refused."""
    revision = manifest["alembic_revision"]
    if revision not in {script.revision for script in migration_script().walk_revisions()}:
        raise Conflict(f"The backup has a newer database schema than this version knows (migration {revision}, made by "
                       f"Courseware {manifest['app_version']}): upgrade Courseware first. Nothing was changed.")
    return revision


def _check_empty_database(revision: str) -> str | None:
    """Refuse a database holding any row, or tables at another migration than the backup's; the revision of its
    (empty) schema, or None when it has no tables."""
    with db.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        filled = [(n, conn.execute(select(func.count()).select_from(Table(n, MetaData()))).scalar()) for n in names]
        filled = [f"{n}: {count}" for n, count in filled if count]
        if filled:
            raise Conflict(f"The database is not empty (rows in {', '.join(filled[:5])}): restore only into a new, "
                           "empty database (before `courseware init` or `run`). Nothing was changed.")
        target = current_revision(conn)
    if not names and target is None:
        return None
    if not names or target != revision:
        raise Conflict(f"The database has empty tables at migration {target}, the backup is at {revision}: restore "
                       "into a database without tables. Nothing was changed.")
    return target


def _check_keys_folder(manifest: dict) -> None:
    """Refuse when the keys folder holds a signing key the backup does not (restoring would mix two instances' keys)."""
    folder = Path(current_app.config["SIGNING_KEYS_DIR"])
    if not folder.is_dir():
        return
    members = manifest["members"]
    foreign = [f.name for f in sorted(folder.iterdir())
               if f.is_file() and file_digest(f) != members.get(f"keys/{f.name}")]
    if foreign:
        raise Conflict(f"{folder} holds signing keys that are not in the backup ({', '.join(foreign)}): move them away "
                       "first. Nothing was changed.")


def _media_members(manifest: dict) -> list[tuple[str, str]]:
    """The archive's media files with their sha256, each of which must be stored under its own content hash."""
    media = []
    for name, digest in manifest["members"].items():
        if name.startswith("media/"):
            if name != f"media/{digest['sha256'][:2]}/{digest['sha256']}":
                raise InvalidInput(f"{name} is not stored under its content's sha256: not a Courseware media file. "
                                   "Nothing was changed.")
            media.append((name, digest["sha256"]))
    return media


# Where the database names media with its content type: (table, sha256 column, content type column).
_MEDIA_COLUMNS = (("assets", "sha256", "content_type"), ("draft_files", "sha256", "content_type"),
                  ("providers", "logo_sha256", "logo_content_type"))


def _media_types(manifest: dict, folder: Path) -> dict[str, str]:
    """sha256 -> the content type the backup's rows give it, stored on the object (an S3 store shows it)."""
    types = {}
    for described in manifest["tables"]:
        for table, key, kind in _MEDIA_COLUMNS:
            if described["name"] == table and {key, kind} <= set(described["columns"]):
                with (folder / described["member"]).open(encoding="utf-8") as lines:
                    for line in lines:
                        row = json.loads(line)
                        if row.get(key) and row.get(kind):
                            types.setdefault(row[key], row[kind])
    return types


def _migrate(revision: str) -> None:
    from flask_migrate import upgrade

    upgrade(directory=str(MIGRATIONS), revision=revision)
    db.session.remove()


def _copy_files(manifest: dict, folder: Path, prefix: str, target: Path, private: bool = False) -> None:
    """Copy the archive's `prefix/...` members into `target` (each file atomically; private: folder 0700, files
    0600)."""
    names = [n for n in manifest["members"] if n.startswith(prefix + "/")]
    if not names:
        return
    target.mkdir(parents=True, exist_ok=True)
    if private:
        target.chmod(0o700)
    for name in names:
        relative = PurePosixPath(name).relative_to(prefix)
        destination = target.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        _install(folder / name, destination, 0o600 if private else 0o644)


def _install(source: Path, destination: Path, mode: int) -> None:
    fd, temp = tempfile.mkstemp(dir=destination.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        os.chmod(temp, mode)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _restore_secrets(manifest: dict, folder: Path) -> list[str]:
    """The secret key into instance/secret_key, and instance/config.py where this instance has none."""
    notes = []
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if (folder / "secrets/secret_key").is_file():
        _install(folder / "secrets/secret_key", instance / "secret_key", 0o600)
        if current_app.config["SECRET_KEY"] != (instance / "secret_key").read_text().strip():
            notes.append("The backup's secret key is in instance/secret_key, but this instance's settings "
                         "(COURSEWARE_SECRET_KEY or instance/config.py) name another one, which wins: set it there.")
        else:
            notes.append("The backup's secret key is in instance/secret_key.")
    if (folder / "instance/config.py").is_file():
        local = instance / "config.py"
        if not local.exists():
            _install(folder / "instance/config.py", local, 0o600)
            notes.append(f"The backup's local settings are in {local}.")
        elif local.read_bytes() != (folder / "instance/config.py").read_bytes():
            _install(folder / "instance/config.py", instance / "config.py.from-backup", 0o600)
            notes.append(f"{local} was kept; the backup's own is beside it as config.py.from-backup.")
    return notes


def _load_database(manifest: dict, folder: Path) -> None:
    """Insert every table's rows in dependency order in one transaction; then the deferred self-references, and on
    PostgreSQL each id sequence set past the largest id."""
    later = []
    with db.engine.begin() as conn:
        for described in manifest["tables"]:
            table = Table(described["name"], MetaData(),
                          *(Column(name, _KIND_TYPES[kind]) for name, kind in described["columns"].items()))
            kinds, deferred = described["columns"], described["deferred"]
            batch, count, updates = [], 0, []
            with (folder / described["member"]).open(encoding="utf-8") as lines:
                for line in lines:
                    row = {name: _decode(value, kinds[name]) for name, value in json.loads(line).items()}
                    if deferred and any(row[name] is not None for name in deferred):
                        updates.append({f"b_{name}": row[name] for name in described["primary_key"] + deferred})
                        row.update(dict.fromkeys(deferred))
                    batch.append(row)
                    count += 1
                    if len(batch) >= BATCH:
                        conn.execute(table.insert(), batch)
                        batch = []
            if batch:
                conn.execute(table.insert(), batch)
            if count != described["rows"]:
                raise InvalidInput(f"{described['member']}: {count} rows, the manifest says {described['rows']}.")
            if updates:
                later.append((table, described, updates))
        for table, described, updates in later:
            stmt = (table.update()
                    .where(*(table.c[k] == bindparam(f"b_{k}") for k in described["primary_key"]))
                    .values({name: bindparam(f"b_{name}") for name in described["deferred"]}))
            conn.execute(stmt, updates)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, manifest["tables"])


def _decode(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment
    if kind == "json":
        document = json.loads(value)
        return JSON.NULL if document is None else document
    decoders = {"date": date.fromisoformat, "time": time.fromisoformat, "bytes": base64.b64decode, "decimal": Decimal}
    return decoders[kind](value) if kind in decoders else value


def _reset_sequences(conn, tables: list[dict]) -> None:
    """Set each table's id sequence so the next row gets max(id) + 1 (rows were loaded with their own ids)."""
    for described in tables:
        key = described["primary_key"]
        if len(key) != 1 or described["columns"][key[0]] != "int":
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": described["name"], "c": key[0]}).scalar()
        if sequence:
            largest = f'SELECT MAX("{key[0]}") FROM "{described["name"]}"'
            conn.execute(text(f"SELECT setval(:s, COALESCE(({largest}), 0) + 1, false)"), {"s": sequence})
