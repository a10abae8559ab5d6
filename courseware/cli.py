"""The `courseware` command: thin wrappers over services. `courseware --help` lists everything."""
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from .extensions import db


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def cli():
    """Courseware: competence courses for small firms."""


cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    cli(prog_name="courseware")


def register_cli(app: Flask) -> None:
    for command in (init_command, run_command, check_command, import_command, create_user_command):
        app.cli.add_command(command)
    app.cli.add_command(registry_import_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(keys_group)
    app.cli.add_command(certificates_group)
    app.cli.add_command(reports_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(media_group)
    app.cli.add_command(dma_group)


@click.group("dma")
def dma_group():
    """The digital maturity questionnaire."""


@dma_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def dma_check_command(files):
    """Check questionnaire files (default: the ones shipped); prints `file: where: message`, exit 1 on problems."""
    from .services.dma_questionnaire import check_all, check_file

    lines = [f"{f}: {p}" for f in files for p in check_file(f)] if files else check_all()
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("The questionnaire files are sound.")
    sys.exit(1 if lines else 0)


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete personal data kept only for a while: bulk-enrolment files older than their retention period.

    Run it daily (cron or a systemd timer); `courseware init` runs it too.
    """
    from .services.bulk import UPLOAD_RETENTION_DAYS, purge_old_uploads

    deleted = purge_old_uploads()
    db.session.commit()
    click.echo(f"Deleted {deleted} bulk-enrolment file(s) older than {UPLOAD_RETENTION_DAYS} days.")


@click.command("init")
@with_appcontext
def init_command():
    """Create the instance folder, apply migrations and import every course package (exit 1 if any is refused)."""
    sys.exit(1 if _init_instance().import_report.refused else 0)


def _init_instance(quiet: bool = False):
    from .services.dma_questionnaire import check_all
    from .services.setup import init_instance

    problems = check_all()  # the digital maturity questionnaire is checked at start-up, as a course package is
    if problems:
        for line in problems:
            click.secho(f"courseware/data/dma/{line}", fg="red", err=True)
        sys.exit(1)
    result = init_instance()
    _deliver_mail()
    _print_import_report(result.import_report)
    _print_backfill(result.certificates)
    if result.setup_url:
        click.secho("\nNo administrator exists yet. Open this one-time link to create the first admin account:", bold=True)
        click.secho(f"  {result.setup_url}\n", fg="green", bold=True)
    return result


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--production", is_flag=True, help="Behind an HTTPS proxy: Secure cookies (https BASE_URL) and its "
              "X-Forwarded-* headers (COURSEWARE_PROXIES, default 1; COURSEWARE_TRUSTED_PROXY).")
@click.option("--threads", type=int, help="waitress worker threads (default: 4 on SQLite, 8 otherwise).")
@click.option("--skip-init", is_flag=True, help="Do not migrate or import before serving.")
@click.option("--no-worker", is_flag=True, help="Do not run the mail and jobs worker in this process "
              "(when `courseware worker` runs on its own).")
@with_appcontext
def run_command(host, port, production, threads, skip_init, no_worker):
    """Prepare the instance (migrations, course import) and serve the app."""
    app = current_app._get_current_object()
    from . import behind_https_proxy
    from .config import DefaultConfig

    if app.config["BASE_URL"] == DefaultConfig.BASE_URL:  # not configured: links point at this server
        app.config["BASE_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    if not skip_init:
        _init_instance()
    db.session.remove()
    # Always waitress: Werkzeug's development server skips a response's close() when a browser drops the connection
    # early, and the e-mails of a request are sent on close (web/mail_after_response.py); waitress calls it, as
    # WSGI requires. --production is for serving behind an HTTPS proxy: Secure cookies, and the proxy's
    # X-Forwarded-* headers (one proxy unless COURSEWARE_PROXIES says otherwise).
    import waitress

    if production:
        behind_https_proxy(app)
    if threads is None:  # SQLite work holds Python's GIL: more threads in one process only take turns
        threads = 4 if db.engine.dialect.name == "sqlite" else 8
    worker = None
    if not no_worker:  # the outbox's mail and the periodic jobs (services/worker.py); several may run
        from .services.worker import start_worker_thread

        worker = start_worker_thread(app)
    click.echo(f"Serving on http://{host}:{port} with waitress ({threads} threads)"
               + ("" if no_worker else " and the mail and jobs worker"))
    if app.config.get("PROXIES"):
        click.echo(f"Behind {app.config['PROXIES']} proxy(ies): X-Forwarded-For/-Proto/-Host are read from "
                   f"{app.config.get('TRUSTED_PROXY')} only")
    try:
        # Waitress passes the X-Forwarded-* headers on untouched: the app reads them, from trusted proxies only
        # (web/proxies.py). By default waitress would drop them, and with its own trusted_proxy read them twice.
        waitress.serve(app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=False)
    finally:
        if worker:
            thread, stop = worker
            stop.set()
            thread.join(30)


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due and run due jobs once, then exit.")
@with_appcontext
def worker_command(once):
    """Send the outbox's e-mails (with retries) and run the periodic jobs; run one or several beside the app."""
    from .services.worker import run_worker, work_once

    if once:
        sent, ran = work_once()
        click.echo(f"{sent} e-mail(s) tried; jobs run: {', '.join(ran) or 'none'}")
        return
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    app = current_app._get_current_object()
    click.echo(f"Worker polling every {app.config['WORKER_POLL_SECONDS']} s (Ctrl-C or SIGTERM stops it)")
    try:
        run_worker(app, stop)
    except KeyboardInterrupt:
        stop.set()


_LANG_OPTION = click.option(
    "--lang", type=click.Choice(["nb", "nn", "en"]), default=None,
    help="Language of the problems reported (default: each course's own `language`).")


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_LANG_OPTION
@with_appcontext
def check_command(paths, lang):
    """Check course packages; prints `path:line: CODE message` and exits 1 on any error."""
    from .content.checker import COURSE_LANGUAGE, check_packages
    from .content.package import package_paths

    paths = package_paths(paths) if paths else _all_packages()
    problems = check_packages(paths, lang=lang or COURSE_LANGUAGE)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    click.echo(f"{len(paths)} package(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors else 0)


def _all_packages() -> list[Path]:
    from .content.package import discover_packages

    return discover_packages(Path(current_app.config["COURSES_DIR"]))


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_LANG_OPTION
@with_appcontext
def import_command(paths, lang):
    """Import course packages (default: every package in the courses folder); prints their problems, warnings too."""
    from .content.checker import COURSE_LANGUAGE
    from .content.importer import import_packages

    report = import_packages(list(paths) or None, lang=lang or COURSE_LANGUAGE)
    db.session.commit()
    _print_import_report(report)
    sys.exit(1 if report.refused else 0)


def _print_import_report(report) -> None:
    for label, items in (("new", report.new), ("updated", report.updated), ("unchanged", report.unchanged)):
        for item in items:
            click.echo(f"{label:9} {item.slug}" + (f" (version {item.version})" if item.version else ""))
            for problem in item.problems:  # warnings: imported all the same
                click.echo(f"  {problem}")
    for item in report.refused:
        click.secho(f"refused   {item.slug}", fg="red")
        for problem in item.problems:
            click.echo(f"  {problem}")
    click.echo(
        f"Import: {len(report.new)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.refused)} refused"
    )


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Full name (default: the e-mail address).")
@click.option("--role", type=click.Choice(["learner", "author", "funder", "admin"]), default="learner", show_default=True)
@click.option("--provider", "provider_slug", default=None, help="Provider slug, for authors.")
@click.option("--password", default=None, help="Prompted for when not given.")
@with_appcontext
def create_user_command(email, name, role, provider_slug, password):
    """Create an account from the shell."""
    from .errors import DomainError
    from .services.accounts import create_user
    from .services.orgs import get_provider_by_slug

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        provider = get_provider_by_slug(provider_slug) if provider_slug else None
        if role == "author" and provider is None:
            raise click.ClickException("An author works for a provider: give its slug with --provider.")
        # The operator vouches for the address: the account needs no confirmation link.
        user = create_user(email=email, name=name or email, password=password, role=role, provider=provider,
                           verified=True)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Created {user.role} {user.email}")


@click.command("registry-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality-prefix", default=None,
              help="Keep only entities whose municipality number starts with this, e.g. 50 for Trøndelag.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def registry_import_command(file, municipality_prefix, batch_size):
    """Fill the Enhetsregisteret snapshot from the bulk download (enheter_alle.json, optionally .gz)."""
    from .services.registry import import_registry

    def progress(counts):
        db.session.commit()
        click.echo(f"  {counts.read} read, {counts.inserted + counts.updated} saved", err=True)

    try:
        counts = import_registry(file, municipality_prefix=municipality_prefix, batch_size=batch_size,
                                 after_batch=progress)
    except (ValueError, OSError) as error:  # not JSON, not an array, truncated, unreadable gzip
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}") from error
    db.session.commit()
    click.echo(f"Registry import: {counts.read} read, {counts.skipped} skipped, "
               f"{counts.inserted} new, {counts.updated} updated")


@click.group("keys")
def keys_group():
    """The Ed25519 keys that sign Open Badges credentials (in SIGNING_KEYS_DIR; back them up with the database)."""


@keys_group.command("list")
@with_appcontext
def keys_list_command():
    """List the signing keys, oldest first; the last one signs new credentials."""
    from .services.badges import keyring

    ring = keyring()
    for key in ring.keys:
        mark = "  current" if key is ring.current else ""
        click.echo(f"{key.number:4d}  {key.created:%Y-%m-%d %H:%M}Z  {key.multikey}{mark}")
    click.echo(f"Folder: {current_app.config['SIGNING_KEYS_DIR']}", err=True)


@keys_group.command("rotate")
@with_appcontext
def keys_rotate_command():
    """Make a new signing key; earlier keys stay published, so credentials they signed still verify."""
    from .services.badges import rotate_key

    key = rotate_key(Path(current_app.config["SIGNING_KEYS_DIR"]))
    click.echo(f"New signing key {key.number}: {key.multikey}")
    click.echo("Running app processes sign with it as soon as they see it. Back up the keys folder now.", err=True)


@click.group("certificates")
def certificates_group():
    """Certificates and their Open Badges 3.0 credentials."""


@certificates_group.command("verify")
@click.argument("file", type=click.File("rb"))
@click.option("--email", default=None, help="Also check that the credential was issued to this address.")
@with_appcontext
def certificates_verify_command(file, email):
    """Verify an Open Badges credential (a .json file; - for standard input) issued by this platform."""
    import json

    from .services.badges import local_resolver, verify_credential

    try:
        document = json.loads(file.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file.name}: not JSON ({error})") from error
    result = verify_credential(document, local_resolver(), email=email)
    for check in result.checks:
        click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name:9} {check.message}")
    click.echo("Valid." if result.ok else "Not valid.", err=True)
    sys.exit(0 if result.ok else 1)


@certificates_group.command("backfill")
@with_appcontext
def backfill_command():
    """Issue the certificates that completions recorded before certificates existed (or before a firm was verified)
    should have; idempotent. `courseware init` runs it too."""
    from .services.certificates import backfill

    counts = backfill()
    db.session.commit()
    _deliver_mail()
    _print_backfill(counts, always=True)


@click.group("reports")
def reports_group():
    """The reports' maintained counts."""


@reports_group.command("rebuild")
@with_appcontext
def reports_rebuild_command():
    """Recompute the reports' counts (report_rollups, report_cubes) from enrolments, completions and certificates;
    idempotent, safe while the site runs (PostgreSQL locks the two tables for the moment it takes)."""
    from .services.rollups import rebuild

    rows = rebuild()
    db.session.commit()
    click.echo(f"Reports: {rows} course/firm/month row(s) rebuilt")


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Archive to write (default: courseware-backup-<UTC time>.tar.gz here); never overwritten.")
@click.option("--include-secrets", is_flag=True,
              help="Also the secret key, instance/config.py and the passwords in the settings.")
@with_appcontext
def backup_command(output, include_secrets):
    """Write one archive: the database (portable JSON lines), media, signing keys and settings (see README: Backups)."""
    from datetime import datetime, timezone

    from .errors import DomainError
    from .services.backup import write_backup

    output = output or Path(f"courseware-backup-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.tar.gz")
    try:
        result = write_backup(output, include_secrets=include_secrets)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    manifest = result.manifest
    rows = sum(t["rows"] for t in manifest["tables"])
    media = sum(1 for name in manifest["members"] if name.startswith("media/"))
    keys = sum(1 for name in manifest["members"] if name.startswith("keys/"))
    click.echo(f"Backup written to {result.path}: {len(manifest['tables'])} tables, {rows} rows, "
               f"{media} media file(s), {keys} signing key(s), migration {manifest['alembic_revision']}")
    if include_secrets:
        click.secho("WARNING: this archive holds SECRETS (the secret key, instance/config.py and the passwords in "
                    "the settings). Keep it as safe as the server itself.", fg="red", bold=True, err=True)
    click.echo("It holds personal data and the private signing keys: store it encrypted, readable by few.", err=True)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file):
    """Bring a backup back into this instance, whose database must be empty (run it before `courseware init`)."""
    from .errors import DomainError
    from .services.restore import restore_backup

    try:
        result = restore_backup(file)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    rows = sum(t["rows"] for t in result.manifest["tables"])
    click.echo(f"Restored {rows} rows in {len(result.manifest['tables'])} tables from {file} "
               f"(made {result.manifest['created_at']} on {result.manifest['database']}).")
    for note in result.notes:
        click.echo(note)
    click.echo("Now start the instance as usual (`courseware run`).")


@click.group("media")
def media_group():
    """The media store: copy it to another backend, check it against the database (see README: Media storage)."""


@media_group.command("copy")
@click.option("--to", "target", type=click.Choice(["folder", "s3"]), required=True, help="Backend to copy into.")
@click.option("--from", "source", type=click.Choice(["folder", "s3"]),
              help="Backend to copy from (default: the other one).")
@with_appcontext
def media_copy_command(target, source):
    """Copy every media object the target lacks (checked against its sha256); safe to run again."""
    from .errors import DomainError
    from .services import media

    source = source or ("folder" if target == "s3" else "s3")
    if source == target:
        raise click.UsageError("--from and --to name the same backend.")
    try:
        result = media.copy_media(media.store_for(source), media.store_for(target))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Copied {result.copied} media object(s) from {source} to {target}; {result.present} were there "
               "already.")
    if result.damaged:
        click.echo(f"{len(result.damaged)} object(s) in {source} do not match their sha256 and were not copied: "
                   + ", ".join(result.damaged), err=True)
        sys.exit(1)
    missing = media.missing_media(media.store_for(target))
    if missing:
        click.echo(f"{len(missing)} object(s) the database names are in neither store: {', '.join(missing)}", err=True)
        sys.exit(1)
    if target != (current_app.config.get("MEDIA_BACKEND") or "folder"):
        click.echo(f"Every object the database names is in {target}: now set COURSEWARE_MEDIA_BACKEND={target}.")


@media_group.command("check")
@with_appcontext
def media_check_command():
    """List the media objects the database names that the configured store lacks (exit 1 if any)."""
    from .services import media

    missing = media.missing_media()
    for sha256 in missing:
        click.echo(f"missing: {sha256}")
    click.echo(f"{len(media.media_types()) - len(missing)} media object(s) present, {len(missing)} missing "
               f"({current_app.config.get('MEDIA_BACKEND') or 'folder'}).")
    if missing:
        sys.exit(1)


def _print_backfill(counts, always: bool = False) -> None:
    if always or counts.issued or counts.firm_issued:
        click.echo(f"Certificates: {counts.issued} issued, {counts.firm_issued} firm certificate(s) issued, "
                   f"{counts.unconfirmed} completion(s) wait for a confirmed e-mail address")


def _deliver_mail() -> None:
    """Try the e-mails the committed work queued now (a command has no response to try them after); what fails
    stays in the outbox for the worker."""
    from .services.outbox import deliver

    deliver()
