"""The printable certificates: a learner's and a firm's, each one A4 landscape PDF page rendered with WeasyPrint from
an HTML template (templates/certificates/), in the certificate's language, with a QR code of its verification page.

WeasyPrint fetches nothing from the network: its URL fetcher serves files under the app's static folder and refuses
every other address (http, https, ftp, data, files elsewhere). The QR code is inline SVG, so it needs no fetch.
Rendering takes about 0.1 s; bench/certificates.py measures it (no cache: see bench/README.md).
"""
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import segno
from flask import current_app, render_template
from flask_babel import force_locale, format_decimal, ngettext
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .certificate_codes import format_code, verify_url

log = logging.getLogger("courseware.certificates")


class RefusedURL(ValueError):
    """An address the certificate renderer will not fetch (WeasyPrint logs it and leaves the resource out)."""


class StaticFilesOnly(URLFetcher):
    """WeasyPrint's URL fetcher for certificates: file: URLs under `root` only; every other URL is refused."""

    def __init__(self, root: str | Path):
        super().__init__(timeout=1, allowed_protocols={"file"}, allow_redirects=False)
        self.root = Path(root).resolve()

    def fetch(self, url, headers=None):
        path = self.local_path(url)
        if path is None:
            log.warning("Certificate renderer refused to fetch %.200s", url)
            raise RefusedURL(f"not a static file: {url[:200]}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": mimetype})

    def local_path(self, url: str) -> Path | None:
        """The file under `root` that a file: URL names, or None for any other URL."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None


def static_root() -> Path:
    """The app's static folder, the only place certificates may load files (their stylesheet) from."""
    return Path(current_app.static_folder)


def html_to_pdf(html: str) -> bytes:
    """Render certificate HTML to PDF, resolving its relative links against the static folder and nothing else."""
    root = static_root()
    return HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=StaticFilesOnly(root)).write_pdf()


def qr_svg(url: str) -> Markup:
    """The QR code of `url` as inline SVG (medium error correction survives a worn print)."""
    return Markup(segno.make(url, error="m", micro=False).svg_inline(omitsize=True, dark="#111111"))


def hours_text(minutes: int | None) -> str:
    """The course's length in hours, to the nearest half hour ("3 hours", "1.5 hours"); empty when unknown."""
    if not minutes:
        return ""
    hours = max(1, (minutes + 15) // 30) / 2  # half hours, rounding a quarter up
    return ngettext("%(hours)s hour", "%(hours)s hours", 1 if hours == 1 else 2,
                    hours=format_decimal(hours, format="#,##0.#"))


def certificate_language(language: str | None) -> str:
    """The language to render a certificate in: its own when the app offers it, else the default."""
    config = current_app.config
    return language if language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def certificate_html(cert) -> str:
    """A learner's certificate as HTML, in the language it was issued in (also the benchmark's baseline)."""
    with force_locale(certificate_language(cert.language)):
        url = verify_url(cert.code)
        return render_template("certificates/certificate.html", cert=cert, code=format_code(cert.code),
                               verify_url=url, qr=qr_svg(url), hours=hours_text(cert.minutes),
                               revoked=cert.revoked_at is not None)


def firm_certificate_html(fc, language: str | None = None) -> str:
    """A firm's certificate as HTML; it has no language of its own, so the reader's (or the default) is used."""
    with force_locale(certificate_language(language)):
        url = verify_url(fc.code)
        return render_template("certificates/firm_certificate.html", cert=fc, code=format_code(fc.code),
                               verify_url=url, qr=qr_svg(url), revoked=fc.revoked_at is not None)


def render_certificate_pdf(cert) -> bytes:
    """A learner's certificate as a one-page A4 landscape PDF; a revoked one is stamped REVOKED across the page."""
    return html_to_pdf(certificate_html(cert))


def render_firm_certificate_pdf(fc, language: str | None = None) -> bytes:
    """A firm's certificate as a one-page A4 landscape PDF, for its contact person to print."""
    return html_to_pdf(firm_certificate_html(fc, language))
