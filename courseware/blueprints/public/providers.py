"""A provider's logo, shown beside its name on course pages and in the admin pages."""
from flask import abort, current_app, request, send_file

from ...content.importer import asset_file_path
from ...services import providers
from . import bp

# A link without the logo's version (`v`) may see a replaced logo after this many seconds.
UNVERSIONED_MAX_AGE = 300


@bp.route("/providers/<slug>/logo")
def provider_logo(slug):
    logo = providers.find_logo(slug)
    if logo is None:
        abort(404)
    path = asset_file_path(logo.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=logo.content_type, conditional=True, etag=logo.sha256)
    if request.args.get("v") == logo.sha256[:12]:  # pages link to the current logo with its version: never changes
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['ASSET_MAX_AGE']}, immutable"
    else:
        response.headers["Cache-Control"] = f"public, max-age={UNVERSIONED_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
