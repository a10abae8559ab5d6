"""Who may see which reports: funders and admins see the whole programme; a provider's staff only their own courses."""
from flask_babel import gettext as _

from ..errors import PermissionDenied


def is_funder(user) -> bool:
    return bool(user and user.is_authenticated and user.role in ("funder", "admin"))


def require_funder(user) -> None:
    """Programme-wide reports: funders and admins only."""
    if not is_funder(user):
        raise PermissionDenied(_("Only funders and administrators can see the programme's reports."))
