"""Security headers on every response (a Content-Security-Policy without inline script, and friends), and the
templates' `csrf_token()`.
"""
import time

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

from .fragment_cache import LRU

# Video embeds (privacy-enhanced YouTube and Vimeo) are the only third-party content a page may load.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self'",
    "font-src 'self'",
    "frame-src https://www.youtube-nocookie.com https://player.vimeo.com",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def page_policy(app: Flask) -> str:
    """The pages' Content-Security-Policy: CSP, plus the media store's origin for images, audio and video when
    assets are answered by a redirect to it (MEDIA_REDIRECT), since a redirect is checked against the policy too."""
    policy = app.extensions.get("courseware_csp")
    if policy is None:
        policy = CSP
        if app.config.get("MEDIA_REDIRECT"):
            from ..storage import media_store

            try:
                origin = media_store(app).redirect_origin()
            except ValueError as error:  # a wrong media setting: assets fail with it, pages still show
                app.logger.error("media store: %s", error)
                origin = None
            if origin:
                policy = (policy.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
                          .replace("media-src 'self'", f"media-src 'self' {origin}"))
        app.extensions["courseware_csp"] = policy
    return policy


def csrf_token() -> str:
    """Flask-WTF's signed CSRF token for this session, signed once per session rather than on every page.

    Flask-WTF signs the session's raw token anew on each request (a key derivation, an HMAC and a timestamp). With
    WTF_CSRF_TIME_LIMIT = None the timestamp is never checked, so the signed token stays valid as long as the
    session: it is kept in a bounded per-process map by raw token, and reused. With a time limit, a signed token is
    reused for at most a tenth of it (and at most a minute). Forms on the same page share it through `g`, as
    Flask-WTF caches it there.
    """
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token:
        return token
    signed: LRU = current_app.extensions["courseware_csrf"]
    raw = session.get(field)
    limit = config.get("WTF_CSRF_TIME_LIMIT")
    reuse = None if limit is None else min(60.0, limit / 10)
    if raw is not None:
        hit = signed.get(raw)
        if hit is not None and (reuse is None or time.monotonic() - hit[1] < reuse):
            setattr(g, field, hit[0])
            return hit[0]
    token = generate_csrf()
    signed.put(session[field], (token, time.monotonic()))
    return token


def init_app(app: Flask) -> None:
    app.extensions["courseware_csrf"] = LRU(8192)
    # Flask-WTF puts its generate_csrf both in the globals and in every template context; replace both.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", page_policy(app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
