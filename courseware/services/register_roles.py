"""Brønnøysund's open roles data: does the person registering a firm lead it (daglig leder, styreleder, ...)?

A new firm's contact person is verified when their name matches a leading role holder of the orgnr in
`GET {BRREG_URL}/enheter/{orgnr}/roller`. Role data is personal data, so nothing of it is stored: the names are
compared in memory and only the answer (a match or not) is kept, as how the firm was verified. Like the firm
lookup (registry.py), the register is asked only when BRREG_ENABLED, with a short timeout; any failure is
logged there and counts as "no match", which leaves the firm for an administrator to verify.
"""
import re
import unicodedata

from flask import current_app

from .orgs import is_valid_orgnr
from .registry import fetch_json

# The roles whose holder may speak for the firm on their own: daglig leder (DAGL), styrets leder (LEDE), the owner
# of a sole proprietorship (INNH), the general partner of a limited partnership (KOMP), the partners of a general
# partnership with pro rata or joint liability (DTPR, DTSO), the managing owner of a shipowning partnership (BEST),
# the business manager that runs e.g. a housing cooperative (FFØR), and the Norwegian representative of a foreign
# entity (REPR). Left out on purpose: ordinary and deputy board members (MEDL, NEST, VARA), who do not run the firm
# day to day and are often outsiders; auditors and accountants (REVI, REGN), who are other firms' staff; and
# signature and procuration rights (SIGN, PROK), which the register lists as rules, often for groups of people.
LEADING_ROLES = frozenset({"DAGL", "LEDE", "INNH", "KOMP", "DTPR", "DTSO", "BEST", "FFØR", "REPR"})

_NOT_LETTERS = re.compile(r"[\W_]+")


def fetch_roles(orgnr: str, *, base_url: str, timeout: float) -> dict | None:
    """GET {base_url}/enheter/{orgnr}/roller as a dict; None when the register cannot answer."""
    return fetch_json(f"{base_url.rstrip('/')}/enheter/{orgnr}/roller", orgnr, timeout)


def leading_role_holders(payload: dict | None) -> list[list[str]]:
    """The name tokens of each living person who holds a leading role now (not resigned, not deregistered)."""
    holders = []
    groups = payload.get("rollegrupper") if isinstance(payload, dict) else None
    for group in groups if isinstance(groups, list) else []:
        roles = group.get("roller") if isinstance(group, dict) else None
        for role in roles if isinstance(roles, list) else []:
            if not isinstance(role, dict) or role.get("fratraadt") or role.get("avregistrert"):
                continue
            kind, person = role.get("type"), role.get("person")
            if not isinstance(kind, dict) or kind.get("kode") not in LEADING_ROLES or not isinstance(person, dict):
                continue  # a role held by another entity (an accounting firm, say) has no person
            if person.get("erDoed"):
                continue
            name = person.get("navn")
            if isinstance(name, dict):
                parts = (name.get(part) for part in ("fornavn", "mellomnavn", "etternavn"))
                tokens = name_tokens(" ".join(p for p in parts if isinstance(p, str)))
                if tokens:
                    holders.append(tokens)
    return holders


def name_tokens(name: str | None) -> list[str]:
    """A name as comparable words: case-folded, Unicode-normalised, split on spaces, hyphens and punctuation."""
    return [t for t in _NOT_LETTERS.split(unicodedata.normalize("NFKC", name or "").casefold()) if t]


def names_match(registrant: str, holder: list[str]) -> bool:
    """Whether a typed name is the role holder's: same first and last name, any other words in the register's order.

    "Kari Nordmann" matches the register's "KARI ANNE NORDMANN" (a middle name left out) but not "Kari Nordmannsen"
    or "Ola Nordmann"; a single word never matches.
    """
    typed = name_tokens(registrant)
    if len(typed) < 2 or len(holder) < 2 or typed[0] != holder[0] or typed[-1] != holder[-1]:
        return False
    remaining = iter(holder)
    return all(word in remaining for word in typed)  # typed is a subsequence of holder


def holds_leading_role(orgnr: str, name: str) -> bool:
    """Whether `name` matches a leading role holder of the firm in the register (False when it cannot be asked)."""
    config = current_app.config
    if not config.get("BRREG_ENABLED") or not is_valid_orgnr(orgnr):
        return False
    payload = fetch_roles(orgnr, base_url=config["BRREG_URL"], timeout=float(config["BRREG_TIMEOUT"]))
    return any(names_match(name, holder) for holder in leading_role_holders(payload))
