"""Organisations: providers and firms."""
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..models import Provider


def find_provider_by_slug(slug: str) -> Provider | None:
    return db.session.execute(select(Provider).filter_by(slug=slug)).scalar_one_or_none()


def get_provider_by_slug(slug: str) -> Provider:
    provider = find_provider_by_slug(slug)
    if provider is None:
        raise NotFound(_("No provider is called %(slug)s.", slug=slug))
    return provider
