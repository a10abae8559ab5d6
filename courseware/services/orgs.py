"""Organisations: providers, organisation numbers and the reference data firms are described with."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..data import load
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import SIZE_BANDS, Provider

ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_ORGNR_SEPARATORS = re.compile(r"[\s.\-]")
_INDUSTRY_CODE = re.compile(r"^(\d{2})\.?(\d{3})$")

SIZE_BAND_LABELS = {"0-9": "0–9", "10-49": "10–49", "50-249": "50–249", "250+": "250+"}
PROVIDER_KIND_LABELS = {
    "business_park": _l("Business park"),
    "incubator": _l("Incubator"),
    "library": _l("Library"),
    "other": _l("Other"),
}


# --- Organisation numbers -------------------------------------------------------------------------------------

def orgnr_check_digit(first_eight: str) -> int | None:
    """The MOD11 check digit for the first eight digits, or None when no valid digit exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, ORGNR_WEIGHTS)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def validate_orgnr(raw: str | None) -> str:
    """The 9-digit orgnr from what a user typed (spaces, dots and dashes allowed); InvalidInput says what is wrong."""
    cleaned = _ORGNR_SEPARATORS.sub("", raw or "")
    if not cleaned:
        raise InvalidInput(_("Enter the organisation number (9 digits)."), field="orgnr")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise InvalidInput(_("The organisation number can only contain digits (9 digits)."), field="orgnr")
    if len(cleaned) != 9:
        raise InvalidInput(
            _("The organisation number must have 9 digits; you wrote %(count)d.", count=len(cleaned)),
            field="orgnr",
        )
    if orgnr_check_digit(cleaned[:8]) != int(cleaned[8]):
        raise InvalidInput(
            _(
                "The organisation number %(orgnr)s is not valid: the check digit does not match. "
                "Check that you typed it correctly.",
                orgnr=format_orgnr(cleaned),
            ),
            field="orgnr",
        )
    return cleaned


def is_valid_orgnr(raw: str | None) -> bool:
    """True when `raw` is a valid organisation number (see validate_orgnr)."""
    try:
        validate_orgnr(raw)
    except InvalidInput:
        return False
    return True


def format_orgnr(orgnr: str) -> str:
    """An orgnr grouped for reading: "NNN NNN NNN"."""
    digits = _ORGNR_SEPARATORS.sub("", orgnr or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}".strip()


# --- Municipalities ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Municipality:
    number: str
    name: str
    short_name: str
    orgnr: str


def _municipality_data() -> tuple[dict[str, Municipality], dict[str, str]]:
    data = load("municipalities")
    municipalities = {m["number"]: Municipality(**m) for m in data["municipalities"]}
    counties = {c["number"]: c["name"] for c in data["counties"]}
    return municipalities, counties


def list_municipalities() -> list[Municipality]:
    """The Trøndelag municipalities sorted by short name, for the municipality select."""
    municipalities, _counties = _municipality_data()
    return sorted(municipalities.values(), key=lambda m: m.short_name.casefold())


def municipality_name(code: str | None) -> str:
    """The official name of a Trøndelag municipality, or "Kommune NNNN" for others; empty for no code."""
    if not code:
        return ""
    municipalities, _counties = _municipality_data()
    municipality = municipalities.get(code)
    return municipality.name if municipality else _("Municipality %(number)s", number=code)


def validate_municipality(code: str | None) -> str:
    """A 4-digit municipality number: one of Trøndelag's 38, or another one whose county number exists."""
    code = (code or "").strip()
    municipalities, counties = _municipality_data()
    if code in municipalities:
        return code
    if not code:
        raise InvalidInput(_("Choose the municipality."), field="municipality")
    if not re.fullmatch(r"\d{4}", code):
        raise InvalidInput(
            _("A municipality number has 4 digits, for example 5001 or 0301."), field="municipality"
        )
    home = load("municipalities")["home_county"]
    if code[:2] not in counties or code[:2] == home:
        raise InvalidInput(
            _("There is no municipality with the number %(number)s.", number=code), field="municipality"
        )
    return code


# --- Industries (SN2007) ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndustrySection:
    letter: str
    name: str
    first_division: int
    last_division: int

    def contains(self, division: int) -> bool:
        return self.first_division <= division <= self.last_division


def list_industry_sections() -> list[IndustrySection]:
    """The SN2007 sections A–U with their Norwegian names and division ranges."""
    return [IndustrySection(**s) for s in load("industries")["sections"]]


def industry_section_name(letter: str | None) -> str:
    """The Norwegian name of an SN2007 section letter; empty when unknown."""
    return next((s.name for s in list_industry_sections() if s.letter == (letter or "").upper()), "")


def section_for_code(code: str | None) -> str | None:
    """The SN2007 section letter of an industry code ("25.620", "25" or "25620"), or None when it has none."""
    match = re.match(r"^\s*(\d{2})", code or "")
    if not match:
        return None
    division = int(match.group(1))
    return next((s.letter for s in list_industry_sections() if s.contains(division)), None)


def validate_industry(section: str | None, code: str | None) -> tuple[str, str | None]:
    """A valid (section letter, optional "NN.NNN" code) pair: the code's division must lie in the section."""
    section = (section or "").strip().upper()
    if section not in {s.letter for s in list_industry_sections()}:
        raise InvalidInput(_("Choose the industry from the list."), field="industry_section")
    code = re.sub(r"\s", "", code or "")
    if not code:
        return section, None
    match = _INDUSTRY_CODE.match(code)
    if not match:
        raise InvalidInput(
            _("An industry code has 5 digits written as NN.NNN, for example 25.620."), field="industry_code"
        )
    code = f"{match.group(1)}.{match.group(2)}"
    if section_for_code(code) != section:
        raise InvalidInput(
            _("The industry code %(code)s does not belong to the industry you chose.", code=code),
            field="industry_code",
        )
    return section, code


# --- Size bands -------------------------------------------------------------------------------------------------

def size_band_for(employees: int | None) -> str | None:
    """The size band for a headcount; None when the count is unknown (the register withholds small counts)."""
    if employees is None or employees < 0:
        return None
    if employees < 10:
        return "0-9"
    if employees < 50:
        return "10-49"
    if employees < 250:
        return "50-249"
    return "250+"


def validate_size_band(band: str | None) -> str:
    """One of SIZE_BANDS, or InvalidInput."""
    if band not in SIZE_BANDS:
        raise InvalidInput(_("Choose the number of employees."), field="size_band")
    return band


# --- Providers (creating and editing them: services/providers.py) ----------------------------------------------

def find_provider_by_slug(slug: str) -> Provider | None:
    return db.session.execute(select(Provider).filter_by(slug=slug)).scalar_one_or_none()


def get_provider_by_slug(slug: str) -> Provider:
    provider = find_provider_by_slug(slug)
    if provider is None:
        raise NotFound(_("No provider is called %(slug)s.", slug=slug))
    return provider


def get_provider(provider_id: int) -> Provider:
    """The provider with this id, or NotFound."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(_("The provider does not exist."))
    return provider


def list_providers() -> list[Provider]:
    """Every provider by name (there are a few dozen at most)."""
    return list(db.session.execute(select(Provider).order_by(Provider.name)).scalars())
