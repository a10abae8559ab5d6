"""The firm blueprint: a learner's firm, its contact person's view of the employees, invitations."""
from flask import Blueprint, url_for
from flask_login import current_user

from ...services.dma import may_assess
from ...services.orgs import SIZE_BAND_LABELS, format_orgnr, municipality_name

bp = Blueprint("firm", __name__)


def size_band_label(band: str | None) -> str:
    """The readable label of a size band ("10–49" for "10-49"); empty for none."""
    return SIZE_BAND_LABELS.get(band or "", band or "")


def firm_url(endpoint: str, firm, **values) -> str:
    """A firm page's address: /firm/... for one's own firm, /firm/<id>/... for an admin looking at another."""
    own = current_user.is_authenticated and current_user.firm_id == firm.id
    return url_for(endpoint, firm_id=None if own else firm.id, **values)


@bp.record_once
def _template_helpers(state) -> None:
    # Firm details are shown on firm, admin and profile pages, so the helpers are app-wide.
    for helper in (format_orgnr, municipality_name, size_band_label, firm_url):
        state.app.add_template_global(helper)
    state.app.add_template_global(may_assess, "maturity_allowed")


from . import certificates, maturity, members, views  # noqa: E402,F401
