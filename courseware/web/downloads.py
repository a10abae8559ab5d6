"""The response for a file a person downloads (a certificate PDF, a badge): saved under its name, never cached
by a shared cache."""
from flask import Response


def send_download(download) -> Response:
    """`download` (services.certificate_downloads.Download) as an attachment, private to the browser that asked."""
    return Response(download.data, mimetype=download.mimetype, headers={
        # The name is ASCII letters, digits and dashes (certificate_downloads._file_name), so it needs no quoting.
        "Content-Disposition": f'attachment; filename="{download.filename}"',
        # The file can change (a revocation stamps it): the browser may keep it, but asks again each time.
        "Cache-Control": "private, no-cache",
    })
