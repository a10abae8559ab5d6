"""Small helpers shared by the web layer."""
from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """Return `target` only if it is a relative path on this site (no open redirects), else None."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
