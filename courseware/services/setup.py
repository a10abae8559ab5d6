"""Preparing an instance: folders, database migrations, course import and the first-admin link."""
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..extensions import db
from ..storage import media_store


@dataclass
class InitResult:
    import_report: object
    setup_url: str | None
    certificates: object = None  # certificates.Backfill: certificates issued for earlier completions


def init_instance() -> InitResult:
    """Create the instance folders, migrate the database to the newest revision, import every package and issue the
    certificates earlier completions earned (their e-mails are queued: the caller delivers them).

    Prints nothing; returns the import report, the certificates issued and, while no admin exists, a fresh
    one-time setup link.
    """
    from flask_migrate import upgrade

    from ..content.importer import import_packages
    from .accounts import admin_exists, create_setup_token
    from .bulk import purge_old_uploads
    from .badges import keyring
    from .certificates import backfill
    from .mail import absolute_url

    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    media_store().prepare()  # the media folder, or a reachable bucket
    keyring()  # the Open Badges signing key, made on first start (services/badges/keys.py)
    upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    report = import_packages(None, lang="course")  # problems in each course's own language
    db.session.commit()
    purge_old_uploads()  # personal data past its retention period (also `courseware purge`, daily)
    db.session.commit()
    issued = backfill()  # idempotent, and two queries when there is nothing to do
    db.session.commit()
    setup_url = None
    if not admin_exists():
        token = create_setup_token()
        db.session.commit()
        setup_url = absolute_url("auth.setup", token=token)
    return InitResult(report, setup_url, issued)
