"""Where to send someone after a form: only to a path on this site, never to another host (open redirect)."""
from urllib.parse import urlsplit

from flask import url_for


def is_local_path(target: str) -> bool:
    """True for "/path?query" only: no scheme, no host, no "//host" or "/\\host" that browsers treat as a host."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next_url(target: str | None) -> str | None:
    """`target` when it is a relative path on this site (no open redirects), else None."""
    target = (target or "").strip()
    return target if target and is_local_path(target) else None


def safe_next(target: str | None, default_endpoint: str = "public.index") -> str:
    """`target` when it is a relative path on this site (e.g. /courses/x?tab=2), otherwise the default page."""
    return safe_next_url(target) or url_for(default_endpoint)
