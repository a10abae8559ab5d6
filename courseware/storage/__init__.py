"""The media store: the bytes of course assets, draft assets and provider logos, kept under their sha256.

One interface (base.MediaStore) with two backends: `folder` (MEDIA_DIR, the default) and `s3` (an S3-compatible
bucket through boto3, for several app servers). Every reader and writer of media goes through `media_store()`;
nothing else opens MEDIA_DIR. Keys are content hashes, so a write of bytes already stored is a no-op.
"""
from flask import Flask, current_app

from .base import SHA256, MediaMissing, MediaStore, check_key

__all__ = ["MediaMissing", "MediaStore", "SHA256", "check_key", "media_store", "make_store", "BACKENDS"]

BACKENDS = ("folder", "s3")


def make_store(config, backend: str | None = None) -> MediaStore:
    """A new store of `backend` (default: the MEDIA_BACKEND setting) from an app's settings."""
    backend = backend or config.get("MEDIA_BACKEND") or "folder"
    if backend == "folder":
        from .folder import FolderStore

        return FolderStore(config["MEDIA_DIR"], cache_control=immutable_cache_control(config))
    if backend == "s3":
        from .s3 import S3Store

        return S3Store.from_config(config, cache_control=immutable_cache_control(config))
    raise ValueError(f"MEDIA_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")


def media_store(app: Flask | None = None) -> MediaStore:
    """The app's media store, made on first use (the factory does no I/O) and kept for the app's lifetime."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("courseware_media_store")
    if store is None:
        store = app.extensions["courseware_media_store"] = make_store(app.config)
    return store


def immutable_cache_control(config) -> str:
    """Cache-Control of anything addressed by its content hash: it never changes."""
    return f"public, max-age={config['ASSET_MAX_AGE']}, immutable"
