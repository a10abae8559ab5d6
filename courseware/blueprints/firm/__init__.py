"""The firm blueprint: a learner's firm, its contact person's view of the employees, invitations."""
from flask import Blueprint

from ...services.orgs import SIZE_BAND_LABELS, format_orgnr, municipality_name

bp = Blueprint("firm", __name__)


def size_band_label(band: str | None) -> str:
    """The readable label of a size band ("10–49" for "10-49"); empty for none."""
    return SIZE_BAND_LABELS.get(band or "", band or "")


@bp.record_once
def _template_helpers(state) -> None:
    # Firm details are shown on firm, admin and profile pages, so the helpers are app-wide.
    for helper in (format_orgnr, municipality_name, size_band_label):
        state.app.add_template_global(helper)


from . import views  # noqa: E402,F401
