"""Enhetsregisteret (Brønnøysund): firm facts by orgnr from a local snapshot or, when enabled, the open API.

`lookup_firm` is the one interface the rest of the app uses. The snapshot table is filled offline by
`courseware registry-import FILE` from the register's bulk download, parsed as a stream so a file of
a gigabyte never sits in memory.
"""
import gzip
import io
import json
import logging
import re
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from flask import current_app
from sqlalchemy import insert, select

from ..extensions import db
from ..models import RegistryEntry, utcnow
from .orgs import is_valid_orgnr, section_for_code, size_band_for
from .upsert import conflict_insert

log = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A single entity larger than this means the file is not what we think it is.
MAX_ENTITY_CHARS = 10 * 1024 * 1024


@dataclass(frozen=True)
class FirmFacts:
    """What the register says about a firm, reduced to what a firm registration needs."""

    orgnr: str
    name: str
    municipality_code: str | None = None
    industry_code: str | None = None
    industry_section: str | None = None
    employees: int | None = None
    org_form: str | None = None

    @property
    def size_band(self) -> str | None:
        return size_band_for(self.employees)


def lookup_firm(orgnr: str, *, remember: bool = True) -> FirmFacts | None:
    """Facts about a firm: the local snapshot first, then the open API when BRREG_ENABLED; None when unknown."""
    if not is_valid_orgnr(orgnr):
        return None
    entry = db.session.get(RegistryEntry, orgnr)
    if entry is not None:
        return _facts_from_entry(entry)
    config = current_app.config
    if not config.get("BRREG_ENABLED"):
        return None
    entity = fetch_entity(orgnr, base_url=config["BRREG_URL"], timeout=float(config["BRREG_TIMEOUT"]))
    row = entity_to_row(entity) if entity else None
    if row is None:
        return None
    if remember:
        upsert_entries([{**row, "source": "api"}])
    return _facts_from_row(row)


def fetch_entity(orgnr: str, *, base_url: str, timeout: float) -> dict | None:
    """GET {base_url}/enheter/{orgnr} as a dict; None for 404/410 and (logged) for any network or format error."""
    return fetch_json(f"{base_url.rstrip('/')}/enheter/{orgnr}", orgnr, timeout)


def fetch_json(url: str, orgnr: str, timeout: float) -> dict | None:
    """GET a JSON object about `orgnr` from the register; None for 404/410 and (logged) for any other failure."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "Courseware"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        error.close()
        if error.code not in (404, 410):
            log.warning("Enhetsregisteret answered %s for %s", error.code, orgnr)
        return None
    except (OSError, ValueError) as error:  # URLError, timeouts and refused connections are OSErrors
        log.warning("Enhetsregisteret lookup of %s failed: %s", orgnr, error)
        return None
    return payload if isinstance(payload, dict) else None


def entity_to_row(entity: dict) -> dict | None:
    """The RegistryEntry columns for one register entity (API or bulk shape); None when it has no valid orgnr."""
    orgnr = str(entity.get("organisasjonsnummer") or "")
    if not is_valid_orgnr(orgnr) or len(orgnr) != 9:
        return None
    employees = entity.get("antallAnsatte")
    return {
        "orgnr": orgnr,
        "name": str(entity.get("navn") or "")[:300],
        "org_form": _code(entity.get("organisasjonsform"), 10),
        "municipality_code": _municipality_code(entity),
        "industry_code": _code(entity.get("naeringskode1"), 10),
        "employees": employees if isinstance(employees, int) and not isinstance(employees, bool) else None,
    }


def _code(value, length: int) -> str | None:
    code = value.get("kode") if isinstance(value, dict) else None
    return str(code)[:length] if code else None


def _municipality_code(entity: dict) -> str | None:
    """The business address's municipality, falling back to the postal address (common for sole traders)."""
    for key in ("forretningsadresse", "postadresse"):
        address = entity.get(key)
        if isinstance(address, dict) and re.fullmatch(r"\d{4}", str(address.get("kommunenummer") or "")):
            return str(address["kommunenummer"])
    return None


def _facts_from_row(row: dict) -> FirmFacts:
    return FirmFacts(
        orgnr=row["orgnr"],
        name=row["name"],
        municipality_code=row["municipality_code"],
        industry_code=row["industry_code"],
        industry_section=section_for_code(row["industry_code"]),
        employees=row["employees"],
        org_form=row["org_form"],
    )


def _facts_from_entry(entry: RegistryEntry) -> FirmFacts:
    columns = ("orgnr", "name", "municipality_code", "industry_code", "employees", "org_form")
    return _facts_from_row({c: getattr(entry, c) for c in columns})


# --- The snapshot: bulk import ----------------------------------------------------------------------------------

@dataclass
class ImportCounts:
    read: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0


def upsert_entries(rows: list[dict]) -> tuple[int, int]:
    """Insert or update snapshot rows by orgnr in one statement; returns (inserted, updated)."""
    unique = {row["orgnr"]: {"source": "bulk", **row, "updated_at": utcnow()} for row in rows}
    if not unique:
        return 0, 0
    existing = set(
        db.session.execute(select(RegistryEntry.orgnr).where(RegistryEntry.orgnr.in_(list(unique)))).scalars()
    )
    statement = conflict_insert(RegistryEntry)
    if statement is not None:
        columns = ("name", "org_form", "municipality_code", "industry_code", "employees", "source", "updated_at")
        statement = statement.on_conflict_do_update(
            index_elements=[RegistryEntry.orgnr], set_={c: statement.excluded[c] for c in columns}
        )
        db.session.execute(statement, list(unique.values()))
    else:  # other databases: plain insert of the new rows, update of the known ones
        new = [row for orgnr, row in unique.items() if orgnr not in existing]
        if new:
            db.session.execute(insert(RegistryEntry), new)
        for orgnr in existing:
            db.session.merge(RegistryEntry(**unique[orgnr]))
    db.session.flush()
    return len(unique) - len(existing), len(existing)


def import_registry(
    source: str | Path | IO[bytes],
    *,
    municipality_prefix: str | None = None,
    batch_size: int = 1000,
    after_batch: Callable[[ImportCounts], None] | None = None,
) -> ImportCounts:
    """Upsert the entities of a bulk download (a JSON array, optionally gzipped) into the snapshot, in batches.

    `after_batch` runs after each batch (the CLI commits there, so a long import keeps its progress).
    """
    counts = ImportCounts()
    batch: list[dict] = []

    def flush_batch() -> None:
        inserted, updated = upsert_entries(batch)
        counts.inserted += inserted
        counts.updated += updated
        batch.clear()
        if after_batch is not None:
            after_batch(counts)

    with _open_text(source) as stream:
        for entity in iter_json_array(stream):
            counts.read += 1
            row = entity_to_row(entity) if isinstance(entity, dict) else None
            if row is None or (
                municipality_prefix and not (row["municipality_code"] or "").startswith(municipality_prefix)
            ):
                counts.skipped += 1
                continue
            batch.append(row)
            if len(batch) >= batch_size:
                flush_batch()
    if batch:
        flush_batch()
    return counts


@contextmanager
def _open_text(source: str | Path | IO[bytes]) -> Iterator[IO[str]]:
    """A text stream over a file or binary stream, transparently gunzipped when it starts with the gzip magic."""
    with ExitStack() as stack:
        raw = stack.enter_context(open(source, "rb")) if isinstance(source, (str, Path)) else source
        buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
        if buffered.peek(2)[:2] == b"\x1f\x8b":
            buffered = stack.enter_context(gzip.GzipFile(fileobj=buffered))
        text = io.TextIOWrapper(buffered, encoding="utf-8")
        try:
            yield text
        finally:
            text.detach()  # the caller's stream stays open; files we opened close through the stack


def iter_json_array(stream: IO[str], chunk_size: int = 1 << 16) -> Iterator[object]:
    """Yield the elements of a top-level JSON array read from `stream` chunk by chunk (never the whole file)."""
    decoder = json.JSONDecoder()
    buffer, pos, eof = "", 0, False

    def more() -> bool:
        nonlocal buffer, pos, eof
        if eof:
            return False
        chunk = stream.read(chunk_size)
        if not chunk:
            eof = True
            return False
        buffer, pos = buffer[pos:] + chunk, 0
        if len(buffer) > MAX_ENTITY_CHARS:
            raise ValueError("An element of the JSON array is larger than 10 MB; is this the register's download?")
        return True

    def next_char() -> str:
        nonlocal pos
        while True:
            pos = _WHITESPACE.match(buffer, pos).end()
            if pos < len(buffer):
                return buffer[pos]
            if not more():
                raise ValueError("The file ended inside the JSON array.")

    if next_char() != "[":
        raise ValueError("The file is not a JSON array.")
    pos += 1
    expect_value, empty = True, True
    while True:
        char = next_char()
        if char == "]" and (empty or not expect_value):
            return
        if char == "," and not expect_value:
            pos += 1
            expect_value = True
            continue
        if not expect_value:
            raise ValueError(f"Expected ',' or ']' in the JSON array, found {char!r}.")
        try:
            value, end = decoder.raw_decode(buffer, pos)
        except json.JSONDecodeError:
            if more():
                continue
            raise
        # A number cut by the chunk's end ("-1." of "-1.5") parses short: read on until a delimiter follows it.
        cut = end == len(buffer) or buffer[end] not in ",] \t\r\n"
        if not isinstance(value, (dict, list, str)) and cut and more():
            continue
        yield value
        pos, expect_value, empty = end, False, False
