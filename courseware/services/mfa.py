"""A TOTP second factor for staff accounts (admin, funder, author), with one-time recovery codes.

The secret is stored Fernet-encrypted with a key derived from SECRET_KEY (HKDF), so a copy of the database alone
does not give the codes. A TOTP code is accepted within one 30-second step either side of now, and once: the step
it belongs to is recorded, and that step and older ones are refused afterwards. Recovery codes are stored as
SHA-256 hashes (they are long random strings, so a fast hash is enough) and each works once.
"""
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash

from ..errors import Conflict, InvalidInput, PermissionDenied
from ..extensions import db
from ..models import RecoveryCode, TotpCredential, User, utcnow
from . import audit
from .certificate_pdf import qr_svg
from .accounts import renew_session_stamp

ELIGIBLE_ROLES = ("admin", "funder", "author")
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
ISSUER = "Courseware"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off paper


@dataclass
class Enrolment:
    """A started enrolment: the secret to type in by hand, and the provisioning URI as an inline SVG QR code."""
    secret: str
    uri: str
    qr: Markup


def may_use(user) -> bool:
    """Whether the account's role may (or must) use a second factor."""
    return getattr(user, "role", None) in ELIGIBLE_ROLES


def required_roles() -> set[str]:
    """The roles MFA_REQUIRED_ROLES names (of those that may use a second factor)."""
    raw = current_app.config.get("MFA_REQUIRED_ROLES") or ""
    return {role.strip() for role in str(raw).split(",") if role.strip() in ELIGIBLE_ROLES}


def is_required(user) -> bool:
    """Whether the instance requires a second factor of this account's role."""
    return getattr(user, "role", None) in required_roles()


def find_credential(user) -> TotpCredential | None:
    """The user's TOTP credential, confirmed or still being enrolled, or None."""
    return db.session.get(TotpCredential, user.id)


def is_enabled(user) -> bool:
    """Whether the user logs in with a TOTP code after the password."""
    credential = find_credential(user)
    return credential is not None and credential.confirmed_at is not None


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"courseware.totp-secret").derive(
        current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(credential: TotpCredential) -> str:
    try:
        return _fernet().decrypt(credential.secret_encrypted.encode()).decode()
    except InvalidToken as error:  # SECRET_KEY changed: the person must enrol again (an admin can help)
        raise Conflict(_("The second factor cannot be read any more. Ask an administrator for help.")) from error


def start_enrolment(user: User, now: datetime | None = None) -> Enrolment:
    """A new secret for the user to scan, not yet in force (confirm_enrolment puts it in force)."""
    if not may_use(user):
        raise PermissionDenied(_("Two-step login is for administrators, funders and authors."))
    credential = find_credential(user)
    if credential is not None and credential.confirmed_at is not None:
        raise Conflict(_("Two-step login is on already."))
    secret = pyotp.random_base32()
    encrypted = _fernet().encrypt(secret.encode()).decode()
    if credential is None:
        db.session.add(TotpCredential(user_id=user.id, secret_encrypted=encrypted, created_at=now or utcnow()))
    else:
        credential.secret_encrypted, credential.created_at = encrypted, now or utcnow()
    db.session.flush()
    return pending_enrolment(user)


def pending_enrolment(user: User) -> Enrolment | None:
    """The enrolment the user started and has not confirmed, or None."""
    credential = find_credential(user)
    if credential is None or credential.confirmed_at is not None:
        return None
    secret = _secret(credential)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr=qr_svg(uri))  # the certificates' QR code, as inline SVG


def confirm_enrolment(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Put the scanned secret in force with a code from the app; returns the new recovery codes (shown once).
    Every other login of the user ends (the caller logs this browser in again)."""
    credential = find_credential(user)
    if credential is None or credential.confirmed_at is not None:
        raise Conflict(_("Start setting up two-step login again."))
    now = now or utcnow()
    if not _use_totp(credential, code, now):
        raise InvalidInput(_("The code is not right. Type the six digits the app shows now."), field="code")
    credential.confirmed_at = now
    codes = _new_recovery_codes(user, now)
    renew_session_stamp(user)
    audit.record(user, "mfa.enable", "user", user.id, now=now)
    return codes


def verify(user: User, code: str, now: datetime | None = None) -> bool:
    """Check a second-factor code at login: a TOTP code (once per time step) or a recovery code (spent)."""
    credential = find_credential(user)
    if credential is None or credential.confirmed_at is None:
        return False
    now = now or utcnow()
    return _use_totp(credential, code, now) or _use_recovery_code(user, code, now)


def disable(user: User, password: str, code: str, now: datetime | None = None) -> None:
    """Turn two-step login off, with the password and a code; refused where the instance requires it."""
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    if is_required(user):
        raise Conflict(_("Your role must use two-step login on this site."))
    if not verify(user, code, now):
        raise InvalidInput(_("The code is not right."), field="code")
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    renew_session_stamp(user)
    audit.record(user, "mfa.disable", "user", user.id, now=now)


def regenerate_recovery_codes(user: User, code: str, now: datetime | None = None) -> list[str]:
    """New recovery codes for old ones (all of which stop working), with a current code; returns them."""
    now = now or utcnow()
    if not verify(user, code, now):
        raise InvalidInput(_("The code is not right."), field="code")
    codes = _new_recovery_codes(user, now)
    audit.record(user, "mfa.recovery_codes", "user", user.id, now=now)
    return codes


def count_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has left."""
    return len(db.session.execute(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _new_recovery_codes(user: User, now: datetime) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code), created_at=now) for code in codes)
    db.session.flush()
    return codes


def _use_totp(credential: TotpCredential, code: str, now: datetime) -> bool:
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(_secret(credential))
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > (credential.last_used_step or 0) and hmac.compare_digest(totp.generate_otp(step), code):
            # One conditional UPDATE, so the same code sent twice at once is accepted once.
            claimed = db.session.execute(
                update(TotpCredential)
                .where(TotpCredential.user_id == credential.user_id, TotpCredential.last_used_step < step)
                .values(last_used_step=step).execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                db.session.refresh(credential, ["last_used_step"])
            return claimed == 1
    return False


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    if len(_normal(code)) != 10:
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1
