"""Backups: one tar.gz archive holding the database as portable JSON lines, the media store, the signing keys and
the settings (secrets only when asked), and its restore into an empty instance, SQLite or PostgreSQL either way.

Archive members: `manifest.json` (first), `database/<table>.jsonl` (one row a line, tables in dependency order),
`media/...` (MEDIA_DIR), `keys/...` (SIGNING_KEYS_DIR), `settings.json` (secrets left out unless asked) and, with
secrets only, `secrets/secret_key` and `instance/config.py`. The manifest names the sha256 of every other member.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Float, LargeBinary, MetaData, Numeric,
                        Table, Text, Time, bindparam, cast, func, inspect, select, text)

from ..config import DefaultConfig
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import utcnow

FORMAT = 1
MANIFEST = "manifest.json"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BATCH = 1000  # rows per INSERT when loading
# Settings whose values are secrets: left out of settings.json unless secrets are asked for.
SECRET_SETTING = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|PRIVATE|_KEY$")
_KIND_TYPES = {
    "datetime": DateTime(timezone=True), "date": Date(), "time": Time(), "bytes": LargeBinary(), "decimal": Numeric(),
    "bool": Boolean(), "int": BigInteger(), "float": Float(), "str": Text(), "json": JSON(none_as_null=True),
}


@dataclass
class BackupResult:
    path: Path
    manifest: dict


@dataclass
class RestoreResult:
    manifest: dict
    notes: list[str] = field(default_factory=list)  # what the operator should know (settings kept, keys, ...)


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
        _add_folder(files, "media", Path(current_app.config["MEDIA_DIR"]))
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
            "tables": tables, "members": {name: _digest(file) for name, file in sorted(files.items())},
        }
        _write_json(staging / MANIFEST, manifest)
        partial = staging / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            tar.add(staging / MANIFEST, MANIFEST, recursive=False)
            for name, file in sorted(files.items()):
                tar.add(file, name, recursive=False)
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
            revision = _current_revision(conn)
            heads = _script().get_heads()
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


def _add_folder(files: dict[str, Path], prefix: str, folder: Path) -> None:
    """Every regular file under `folder` (not the media store's half-written `.incoming-*` temporaries)."""
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


# --- restoring ------------------------------------------------------------------------------------------------


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
        notes = []
        if target_revision is None:
            _migrate(revision)
        _copy_files(manifest, folder, "media", Path(current_app.config["MEDIA_DIR"]))
        _copy_files(manifest, folder, "keys", Path(current_app.config["SIGNING_KEYS_DIR"]), private=True)
        notes += _restore_secrets(manifest, folder)
        _load_database(manifest, folder)
    if revision not in _script().get_heads():
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
                    raise InvalidInput(f"{path}: unexpected member {name!r}; not a Courseware backup. Nothing was changed.")
                target = folder.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                found[name] = _digest(target)
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
    if revision not in {script.revision for script in _script().walk_revisions()}:
        raise Conflict(f"The backup has a newer database schema than this version knows (migration {revision}, made by "
                       f"Courseware {manifest['app_version']}): upgrade Courseware first. Nothing was changed.")
    return revision


def _check_empty_database(revision: str) -> str | None:
    """Refuse a database holding any row, or tables at another migration than the backup's; the revision of its
    (empty) schema, or None when it has no tables."""
    with db.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        filled = [(n, conn.execute(select(func.count()).select_from(Table(n, MetaData()))).scalar()) for n in names]
        filled = [f"{n} ({count} rows)" for n, count in filled if count]
        if filled:
            raise Conflict(f"The database is not empty ({', '.join(filled[:5])}): restore only into a new, empty "
                           "database (before `courseware init` or `run`). Nothing was changed.")
        target = _current_revision(conn)
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
               if f.is_file() and _digest(f) != members.get(f"keys/{f.name}")]
    if foreign:
        raise Conflict(f"{folder} holds signing keys that are not in the backup ({', '.join(foreign)}): move them away "
                       "first. Nothing was changed.")


def _migrate(revision: str) -> None:
    from flask_migrate import upgrade

    upgrade(directory=str(MIGRATIONS), revision=revision)
    db.session.remove()


def _copy_files(manifest: dict, folder: Path, prefix: str, target: Path, private: bool = False) -> None:
    """Copy the archive's `prefix/...` members into `target` (each file atomically; private: 0700 and 0600)."""
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
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{key[0]}") FROM "{described["name"]}"), 0) + 1, '
                              "false)"), {"s": sequence})


# --- shared -----------------------------------------------------------------------------------------------------


def _current_revision(conn) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def _digest(file: Path) -> dict:
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
