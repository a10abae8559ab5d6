"""Open Badges 3.0 for verifiers: issuer profiles (the keys' controller documents), revocation lists and credential
downloads, at prefix-free URLs under BASE_URL. Anyone may read them; nothing here needs a login."""
from flask import Blueprint

bp = Blueprint("badges", __name__)

from . import views  # noqa: E402,F401
from .views import credential_response  # noqa: E402,F401  (for the verification page's content negotiation)
