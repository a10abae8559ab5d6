"""The rules of machine permissions, as pure functions (no database): age, a guardian's consent, expiry and
withdrawal. services/workshop.py applies them when staff sign a resident off and when the desk looks a person up.

Age is counted from the year of birth only (the one thing we ask, and only when a course sets an age): a person
counts as the age they reach this calendar year, the way Norwegian schools and libraries count year groups.
"""
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from ..errors import InvalidInput

ALLOWED, EXPIRED, NOT_SIGNED_OFF, WITHDRAWN = "allowed", "expired", "not_signed_off", "withdrawn"
STATES = (ALLOWED, EXPIRED, NOT_SIGNED_OFF, WITHDRAWN)


@dataclass(frozen=True)
class Rules:
    """What a course asks before its machines may be used (a MachineGrant's columns)."""

    min_age: int | None = None
    consent_under_age: int | None = None
    valid_months: int | None = None

    @property
    def needs_birth_year(self) -> bool:
        return bool(self.min_age or self.consent_under_age)


@dataclass(frozen=True)
class Answer:
    """The desk's answer for one machine: the state, and since when (expired/withdrawn) or until when (allowed)."""

    state: str
    since: datetime | None = None
    until: datetime | None = None


def age_in_year(birth_year: int, now: datetime) -> int:
    """The age a person born in `birth_year` reaches in the calendar year of `now`."""
    return now.year - birth_year


def validate_birth_year(value, now: datetime) -> int:
    """A plausible year of birth (between 120 years ago and this year); InvalidInput otherwise."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter the year of birth as four digits, for example 2010."), field="birth_year") from None
    if not now.year - 120 <= year <= now.year:
        raise InvalidInput(_("Enter a year of birth between %(first)s and %(last)s.", first=now.year - 120,
                             last=now.year), field="birth_year")
    return year


def check_sign_off(rules: Rules, birth_year: int | None, guardian_name: str, now: datetime) -> None:
    """InvalidInput (naming the field) unless a person with this year of birth and guardian may be signed off."""
    if not rules.needs_birth_year:
        return
    if birth_year is None:
        raise InvalidInput(_("This course has an age rule: enter the resident's year of birth."), field="birth_year")
    age = age_in_year(birth_year, now)
    if rules.min_age and age < rules.min_age:
        raise InvalidInput(_("The machine is for people aged %(age)s or older (counted by year of birth).",
                             age=rules.min_age), field="birth_year")
    if rules.consent_under_age and age < rules.consent_under_age and not (guardian_name or "").strip():
        raise InvalidInput(_("Under %(age)s a parent or guardian must consent: enter their name.",
                             age=rules.consent_under_age), field="guardian_name")


def needs_consent(rules: Rules, birth_year: int | None, now: datetime) -> bool:
    """Whether a guardian's consent is to be recorded for this person."""
    return bool(rules.consent_under_age and birth_year is not None
                and age_in_year(birth_year, now) < rules.consent_under_age)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def expires_at(rules: Rules, granted_at: datetime) -> datetime | None:
    """When a permission granted now runs out; None when the course sets no validity."""
    return add_months(granted_at, rules.valid_months) if rules.valid_months else None


def answer(permission, now: datetime) -> Answer:
    """The state of a person's newest sign-off for a machine (None: never signed off)."""
    if permission is None:
        return Answer(NOT_SIGNED_OFF)
    if permission.withdrawn_at is not None:
        return Answer(WITHDRAWN, since=permission.withdrawn_at)
    if permission.expires_at is not None and permission.expires_at <= now:
        return Answer(EXPIRED, since=permission.expires_at)
    return Answer(ALLOWED, since=permission.granted_at, until=permission.expires_at)


def newest(permissions) -> dict[int, object]:
    """{machine id: the newest sign-off} of one person's sign-offs (a refresher's row replaces the older one)."""
    found: dict[int, object] = {}
    for permission in permissions:
        best = found.get(permission.machine_id)
        if best is None or (permission.granted_at, permission.id) > (best.granted_at, best.id):
            found[permission.machine_id] = permission
    return found


def age_band(birth_year: int | None, now: datetime) -> str:
    """The report's age band for a person at sign-off (models.AGE_BANDS)."""
    if birth_year is None:
        return "unknown"
    age = age_in_year(birth_year, now)
    for limit, band in ((16, "under_16"), (20, "16_19"), (40, "20_39"), (67, "40_66")):
        if age < limit:
            return band
    return "67_plus"
