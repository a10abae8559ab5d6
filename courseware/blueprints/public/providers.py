"""A provider's logo, shown beside its name on course pages and in the admin pages."""
from flask import abort, current_app, request

from ...services import providers
from ...web.media import media_response
from . import bp

# A link without the logo's version (`v`) may see a replaced logo after this many seconds.
UNVERSIONED_MAX_AGE = 300


@bp.route("/providers/<slug>/logo")
def provider_logo(slug):
    logo = providers.find_logo(slug)
    if logo is None:
        abort(404)
    if request.args.get("v") == logo.sha256[:12]:  # pages link to the current logo with its version: never changes
        cache_control = f"public, max-age={current_app.config['ASSET_MAX_AGE']}, immutable"
    else:
        cache_control = f"public, max-age={UNVERSIONED_MAX_AGE}"
    return media_response(logo.sha256, logo.content_type, cache_control=cache_control, attachment=False,
                          may_redirect=True)
