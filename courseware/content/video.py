"""Video embeds: which YouTube and Vimeo addresses `@[video](URL)` accepts, as privacy-enhanced embed URLs."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"})


def video_embed_url(url: str) -> str | None:
    """The privacy-enhanced embed address for a YouTube or Vimeo URL, or None for anything else."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = host.removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    video_id = None
    if host in _YOUTUBE_HOSTS:
        if segments == ["watch"]:
            video_id = (parse_qs(parts.query).get("v") or [None])[0]
        elif len(segments) == 2 and segments[0] in ("embed", "shorts", "live"):
            video_id = segments[1]
    elif host == "youtu.be" and len(segments) == 1:
        video_id = segments[0]
    if video_id:
        return f"https://www.youtube-nocookie.com/embed/{video_id}" if _YOUTUBE_ID.fullmatch(video_id) else None
    if host == "player.vimeo.com" and len(segments) == 2 and segments[0] == "video":
        segments = segments[1:]
    elif host != "vimeo.com":
        return None
    if 1 <= len(segments) <= 2 and segments[0].isascii() and segments[0].isdigit():
        if len(segments) == 2:  # unlisted videos: vimeo.com/<id>/<hash>
            if not re.fullmatch(r"[0-9a-f]{6,32}", segments[1]):
                return None
            return f"https://player.vimeo.com/video/{segments[0]}?h={segments[1]}&dnt=1"
        return f"https://player.vimeo.com/video/{segments[0]}?dnt=1"
    return None
