"""Operating the media store (storage/): copying every object from one backend to another (moving an instance's
folder to S3, or back) and finding media the database names but the store lacks."""
import hashlib
import tempfile
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, union

from ..errors import InvalidInput
from ..extensions import db
from ..models import Asset, DraftFile, Provider
from ..storage import BACKENDS, MediaMissing, MediaStore, make_store, media_store

SPOOL_BYTES = 8 << 20  # an object up to this size is checked in memory, a larger one in a temporary file


@dataclass
class CopyResult:
    copied: int = 0
    present: int = 0  # already in the target (content-addressed: the same bytes)
    damaged: list[str] = field(default_factory=list)  # source objects whose bytes do not match their sha256


def store_for(backend: str) -> MediaStore:
    """The configured media store if it is of `backend`, else a new one of that backend from the same settings."""
    if backend not in BACKENDS:
        raise InvalidInput(f"unknown media backend {backend!r} (one of {', '.join(BACKENDS)})")
    if (current_app.config.get("MEDIA_BACKEND") or "folder") == backend:
        return media_store()
    try:
        return make_store(current_app.config, backend)
    except ValueError as error:
        raise InvalidInput(str(error)) from error


def copy_media(source: MediaStore, target: MediaStore) -> CopyResult:
    """Copy every object of `source` that `target` lacks, each checked against its sha256 before it is written
    (a damaged one is reported, not copied). Idempotent: run it again after an interruption."""
    result = CopyResult()
    types = media_types()
    for sha256 in source.keys():
        if target.exists(sha256):
            result.present += 1
            continue
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            digest = hashlib.sha256()
            try:
                with source.open(sha256) as reader:
                    while chunk := reader.read(1 << 20):
                        digest.update(chunk)
                        spool.write(chunk)
            except MediaMissing:  # removed since it was listed
                continue
            if digest.hexdigest() != sha256:
                result.damaged.append(sha256)
                continue
            spool.seek(0)
            target.put(sha256, spool, types.get(sha256))
        result.copied += 1
    return result


def media_types() -> dict[str, str | None]:
    """sha256 -> a content type the database records for it (assets, draft assets, provider logos; None when
    a row names none): every object the database refers to."""
    rows = union(
        select(Asset.sha256, Asset.content_type),
        select(DraftFile.sha256, DraftFile.content_type).where(DraftFile.sha256.is_not(None)),
        select(Provider.logo_sha256, Provider.logo_content_type).where(Provider.logo_sha256.is_not(None)),
    )
    return {sha256: kind for sha256, kind in db.session.execute(rows) if sha256}


def missing_media(store: MediaStore | None = None) -> list[str]:
    """The sha256 of every object the database names that the store does not hold, sorted."""
    store = store or media_store()
    return sorted(sha256 for sha256 in media_types() if not store.exists(sha256))
