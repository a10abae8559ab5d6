"""Issuer profiles: each provider's Open Badges `Profile`, which is also the controlled identifier document (W3C
CID 1.0) of the platform's keys, so a verifier finds the key of a proof under the credential's own issuer."""
from contextlib import nullcontext

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import NotFound
from ...models import Provider
from ...extensions import db
from ..mail import absolute_url
from .jsonld import CID_CONTEXT, OB_CONTEXT, VC_CONTEXT
from .keys import keyring
from .urls import issuer_url, verification_method


def get_issuer(provider_slug: str) -> Provider:
    """The provider behind an issuer URL; NotFound for none."""
    provider = db.session.execute(select(Provider).filter_by(slug=provider_slug)).scalar_one_or_none()
    if provider is None:
        raise NotFound(_("There is no such issuer."))
    return provider


def issuer_profile(provider: Provider) -> dict:
    """The provider's Profile with every key the platform has signed with (the current one and the retired ones)."""
    issuer = issuer_url(provider.slug)
    methods = [{"id": verification_method(provider.slug, key), "type": "Multikey", "controller": issuer,
                "publicKeyMultibase": key.multikey} for key in keyring().keys]
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, CID_CONTEXT],
        "id": issuer,
        "type": ["Profile"],
        "name": provider.name,
        "url": absolute_url("public.index", provider=provider.slug),
        "description": issuer_description(provider, current_app.config["BABEL_DEFAULT_LOCALE"]),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def issuer_description(provider: Provider, locale: str | None = None) -> str:
    """One line about the provider for wallets and link previews (in `locale`, else the page's language)."""
    with force_locale(locale) if locale else nullcontext():
        return _("%(name)s offers competence courses for employees of small firms on Courseware. Its certificates "
                 "are Open Badges 3.0 credentials that anyone can verify.", name=provider.name)
