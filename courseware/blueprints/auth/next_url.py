"""Where to send someone after a form: only to a path on this site, never to another host (open redirect)."""
from flask import url_for

from ...utils import is_local_path, safe_next_url

__all__ = ["is_local_path", "safe_next"]


def safe_next(target: str | None, default_endpoint: str = "public.index") -> str:
    """`target` when it is a relative path on this site (e.g. /courses/x?tab=2), otherwise the default page."""
    return safe_next_url(target) or url_for(default_endpoint)
