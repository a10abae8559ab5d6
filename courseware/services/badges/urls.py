"""The URLs a credential names, all under BASE_URL and all dereferenceable (blueprints/badges serves them)."""
from flask import current_app

from ..mail import absolute_url


def certificate_url(code: str) -> str:
    """The certificate's public verification page, BASE_URL/verify/K7QM-4XPT-9: also the credential's `id`."""
    from ..certificate_codes import verify_url

    return verify_url(code)


def issuer_url(provider_slug: str) -> str:
    """The provider's issuer profile: also the controller document of the platform's keys."""
    return absolute_url("badges.issuer", provider_slug=provider_slug)


def verification_method(provider_slug: str, key) -> str:
    """A key's id under a provider's profile, `<issuer>#z6Mk...`: its controller is the issuer, as verifiers check."""
    return f"{issuer_url(provider_slug)}#{key.multikey}"


def status_list_url(provider_slug: str, number: int) -> str:
    """A provider's revocation list number `number`."""
    return absolute_url("badges.status_list", provider_slug=provider_slug, number=number)


def achievement_url(course_slug: str) -> str:
    """The achievement's id: the course's public page."""
    return absolute_url("public.course", slug=course_slug)
