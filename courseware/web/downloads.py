"""Responses for files a person downloads (a certificate PDF, a badge, a CSV or XLSX export): saved under their
name (RFC 6266, with an RFC 5987 UTF-8 name for Norwegian letters), never kept by a shared cache."""
import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from flask import Response

from ..services.spreadsheet import XLSX_MIMETYPE, csv_for_excel, xlsx_stream

CSV_MIMETYPE = "text/csv; charset=utf-8"
# Letters NFKD does not take apart into an ASCII letter and a mark.
_ASCII = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "þ": "th",
                        "Þ": "Th", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L"})
# RFC 5987 attr-char: what may stand unencoded in filename*=UTF-8''...
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, kind: str = "attachment") -> str:
    """`attachment` (or `inline`) with `filename`: ASCII as it is; otherwise an ASCII fallback plus filename* in UTF-8.

    "Fullførte kurs.xlsx" gives `attachment; filename="Fullforte-kurs.xlsx"; filename*=UTF-8''Fullf%C3%B8rte%20
    kurs.xlsx`; browsers use filename*, old clients the fallback. Slashes, quotes and control characters never
    reach the header.
    """
    name = "".join("-" if unicodedata.category(c).startswith("C") or c in '/\\"' else c for c in filename).strip()
    name = name or "download"
    fallback = unicodedata.normalize("NFKD", name.translate(_ASCII)).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-.") or "download"
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def download_response(body: str | bytes | Iterable[bytes], *, filename: str, mimetype: str,
                      cache_control: str = "no-store") -> Response:
    """`body` (text is sent as UTF-8; an iterable of bytes is streamed as it comes) as an attachment.

    Reports and exports are "no-store": they hold figures a shared computer should not keep.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Response(body, content_type=mimetype, headers={
        "Content-Disposition": content_disposition(filename), "Cache-Control": cache_control})


def csv_download(header: Iterable, rows: Iterable[Iterable], *, filename: str) -> Response:
    """A CSV export as Norwegian Excel opens it (services.spreadsheet.csv_for_excel) as a download."""
    return download_response(csv_for_excel(header, rows), filename=filename, mimetype=CSV_MIMETYPE)


def xlsx_download(header: Iterable, rows: Iterable[Iterable], *, filename: str, sheet_title: str) -> Response:
    """An XLSX export (services.spreadsheet.xlsx_stream) as a download streamed in chunks, in flat memory.

    The workbook is built here, in the view (so `rows` may read the database in the request's context, and an
    error is an ordinary error page, not a cut-off file); only the finished file is streamed afterwards, and its
    temporary file is removed when the response is closed, also when the browser drops the download.
    """
    chunks = xlsx_stream(header, rows, sheet_title=sheet_title)
    first = next(chunks)
    return download_response(_stream(first, chunks), filename=filename, mimetype=XLSX_MIMETYPE)


def _stream(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    # A generator: the WSGI server's close() reaches `rest` (yield from closes it), deleting the temporary file.
    yield first
    yield from rest


def send_download(download) -> Response:
    """`download` (services.certificate_downloads.Download) as an attachment, private to the browser that asked."""
    # The file can change (a revocation stamps it): the browser may keep it, but asks again each time.
    return download_response(download.data, filename=download.filename, mimetype=download.mimetype,
                             cache_control="private, no-cache")
