"""Answering a request for media (course and version assets, draft assets, provider logos) from the media store.

One function serves them all, so every backend answers with the same headers: the type the database records, an
ETag of the content hash, the caller's Cache-Control, `nosniff`, a Content-Disposition and, for SVG, a sandboxing
Content-Security-Policy. The folder backend hands the file to the WSGI server (sendfile); the s3 backend streams
the object through the app, or, with MEDIA_REDIRECT on a public route, answers 302 to a presigned URL whose
response-* parameters make the object store send the same Content-Type, Cache-Control and Content-Disposition.
SVG is never redirected: an object store cannot send a Content-Security-Policy, and an SVG opened on its own needs
`sandbox` so that nothing in it runs (it was sanitised at import; this is the second wall).
"""
from flask import Response, abort, current_app, redirect, request, send_file

from ..storage import MediaMissing, media_store
from .downloads import content_disposition
from .security import CSP

SVG_TYPE = "image/svg+xml"
# Types a browser shows in the page or its own viewer; anything else is offered as a download.
INLINE_TYPES = ("image/", "audio/", "video/", "application/pdf")


def media_response(sha256: str, content_type: str, *, cache_control: str, filename: str | None = None,
                   attachment: bool | None = None, max_age: int | None = None, may_redirect: bool = False) -> Response:
    """The stored bytes of `sha256` as a response (404 when the store has none).

    `attachment` None means: a download unless the type is one of INLINE_TYPES. `may_redirect` only for routes
    anyone may read: a presigned URL works for whoever has it until it expires.
    """
    if attachment is None:
        attachment = not content_type.startswith(INLINE_TYPES)
    disposition = content_disposition(filename, "attachment" if attachment else "inline") if filename else None
    store = media_store()
    config = current_app.config
    if may_redirect and config["MEDIA_REDIRECT"] and content_type != SVG_TYPE:
        seconds = int(config["MEDIA_REDIRECT_SECONDS"])
        url = store.download_url(sha256, content_type=content_type, cache_control=cache_control,
                                 disposition=disposition, expires=seconds)
        if url is not None:
            response = redirect(url, 302)
            # A browser may reuse the redirect (and then its cached copy of the object) while the URL is valid.
            response.headers["Cache-Control"] = f"private, max-age={seconds // 2}"
            return response
    if request.if_none_match.contains_weak(sha256):  # the browser has these bytes: no need to fetch them
        response = Response(status=304)
        response.set_etag(sha256)
    else:
        response = _send(store, sha256, content_type, max_age)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    if disposition and response.status_code != 304:
        response.headers["Content-Disposition"] = disposition
    if content_type == SVG_TYPE:  # re-written by svg.py when it came in; opened alone it runs nothing
        response.headers["Content-Security-Policy"] = f"{CSP}; sandbox"
    return response


def _send(store, sha256: str, content_type: str, max_age: int | None) -> Response:
    path = store.local_path(sha256)
    if path is not None:
        return send_file(path, mimetype=content_type, conditional=True, etag=sha256, max_age=max_age)
    try:
        source, size = store.open_sized(sha256)
    except (MediaMissing, ValueError):
        abort(404)
    response = send_file(source, mimetype=content_type, conditional=False, etag=sha256, max_age=max_age)
    response.content_length = size
    # Ranges (video seeking) are answered by reading past the skipped part of the stream.
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
