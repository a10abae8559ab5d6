"""Every setting with its default. Values come from here, then instance/config.py, then the environment.

No secrets live here: the secret key comes from COURSEWARE_SECRET_KEY or instance/secret_key.
"""
import os

# Environment variable -> (config key, type). Read by load_environment().
ENVIRONMENT = {
    "COURSEWARE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "COURSEWARE_COURSES_DIR": ("COURSES_DIR", str),
    "COURSEWARE_SECRET_KEY": ("SECRET_KEY", str),
    "COURSEWARE_BASE_URL": ("BASE_URL", str),
    "COURSEWARE_MFA_REQUIRED_ROLES": ("MFA_REQUIRED_ROLES", str),
    "COURSEWARE_SMTP_HOST": ("MAIL_SERVER", str),
    "COURSEWARE_SMTP_PORT": ("MAIL_PORT", int),
    "COURSEWARE_SMTP_USER": ("MAIL_USERNAME", str),
    "COURSEWARE_SMTP_PASSWORD": ("MAIL_PASSWORD", str),
    "COURSEWARE_SMTP_STARTTLS": ("MAIL_USE_STARTTLS", bool),
    "COURSEWARE_SMTP_SSL": ("MAIL_USE_SSL", bool),
    "COURSEWARE_MAIL_FROM": ("MAIL_FROM", str),
    "COURSEWARE_REDIS_URL": ("RATELIMIT_STORAGE_URI", str),
    "COURSEWARE_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", bool),
    "COURSEWARE_MAX_ASSET_MB": ("MAX_ASSET_MB", int),
    "COURSEWARE_MAX_MODULE_KB": ("MAX_MODULE_KB", int),
    "COURSEWARE_BRREG_ENABLED": ("BRREG_ENABLED", bool),
    "COURSEWARE_PROXIES": ("PROXIES", int),
    "COURSEWARE_TRUSTED_PROXY": ("TRUSTED_PROXY", str),
    "COURSEWARE_PRIVACY_CONTACT": ("PRIVACY_CONTACT", str),
    "COURSEWARE_ACCESSIBILITY_CONTACT": ("ACCESSIBILITY_CONTACT", str),
    "COURSEWARE_SIGNING_KEYS_DIR": ("SIGNING_KEYS_DIR", str),
    "COURSEWARE_METRICS_ALLOW": ("METRICS_ALLOW", str),
    "COURSEWARE_METRICS_TOKEN": ("METRICS_TOKEN", str),
    "COURSEWARE_READY_REQUIRES_WORKER": ("READY_REQUIRES_WORKER", bool),
    "COURSEWARE_LOG_FORMAT": ("LOG_FORMAT", str),
    "COURSEWARE_TRUST_REQUEST_ID": ("TRUST_REQUEST_ID", bool),
    "COURSEWARE_MEDIA_DIR": ("MEDIA_DIR", str),
    "COURSEWARE_MEDIA_BACKEND": ("MEDIA_BACKEND", str),
    "COURSEWARE_S3_BUCKET": ("S3_BUCKET", str),
    "COURSEWARE_S3_ENDPOINT_URL": ("S3_ENDPOINT_URL", str),
    "COURSEWARE_S3_REGION": ("S3_REGION", str),
    "COURSEWARE_S3_PREFIX": ("S3_PREFIX", str),
    "COURSEWARE_S3_ADDRESSING_STYLE": ("S3_ADDRESSING_STYLE", str),
    "COURSEWARE_MEDIA_REDIRECT": ("MEDIA_REDIRECT", bool),
    "COURSEWARE_MEDIA_REDIRECT_SECONDS": ("MEDIA_REDIRECT_SECONDS", int),
}


class DefaultConfig:
    # Database URL; None means sqlite in the instance folder (courseware.db).
    SQLALCHEMY_DATABASE_URI: str | None = None
    # Folder with the course packages `courseware import` reads; None means <repo>/courses.
    COURSES_DIR: str | None = None
    # Where media (course and draft assets, provider logos) is kept by content hash (storage/): "folder" (MEDIA_DIR)
    # or "s3" (an S3-compatible bucket; credentials from the usual AWS environment, ~/.aws or instance role).
    MEDIA_BACKEND = "folder"
    # Folder of the folder backend; None means <instance>/media.
    MEDIA_DIR: str | None = None
    # The s3 backend: bucket (required), endpoint for a store other than AWS (MinIO, Ceph, ...; None means AWS),
    # region, key prefix inside the bucket (e.g. "courseware/"), and addressing style (None: "path" with an
    # endpoint, botocore's choice without).
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None
    S3_REGION: str | None = None
    S3_PREFIX = ""
    S3_ADDRESSING_STYLE: str | None = None
    # s3 only: answer public asset and logo requests with a 302 to a presigned URL instead of streaming the bytes
    # through the app (SVG always goes through the app: only it can send SVG's sandboxing CSP).
    MEDIA_REDIRECT = False
    # How long a presigned URL is valid, in seconds; browsers reuse a redirect for half of it.
    MEDIA_REDIRECT_SECONDS = 3600
    # Largest asset a package may hold, in MiB.
    MAX_ASSET_MB = 20
    # A module longer than this many words gets a warning from the checker.
    LONG_MODULE_WORDS = 4000
    # Largest module file, in KiB; a bigger one is refused unread. The longest demo module is 8 KiB and 4000 words
    # (the warning above) are about 30 KiB; the cap bounds the renderer's worst case (bench/hostile_markdown.py).
    MAX_MODULE_KB = 128
    # CPU seconds one module may take to render at import before it is refused: a net behind the Markdown
    # pre-check (content/precheck.py) that real modules, rendered in milliseconds, never reach.
    MODULE_RENDER_SECONDS = 20.0
    # Public address used in e-mails and setup links printed by the CLI.
    BASE_URL = "http://127.0.0.1:5000"
    # SMTP; without MAIL_SERVER, mail is written to the log instead.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_STARTTLS = False
    MAIL_USE_SSL = False
    MAIL_FROM = "Courseware <noreply@courseware.local>"
    # The outbox (services/outbox.py): a failed send is retried after OUTBOX_RETRY_SECONDS * 2**(attempt-1), at most
    # OUTBOX_RETRY_MAX_SECONDS, until OUTBOX_MAX_ATTEMPTS (then "failed" on /admin/mail).
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_SECONDS = 30
    OUTBOX_RETRY_MAX_SECONDS = 6 * 3600
    # A worker's claim on a message lasts this long; a worker that died mid-send leaves it to others after that.
    OUTBOX_LEASE_SECONDS = 300
    # Sent messages are kept this many days (for /admin/mail), then deleted by a periodic job.
    OUTBOX_KEEP_DAYS = 30
    # How often the worker looks for due messages and periodic jobs, in seconds.
    WORKER_POLL_SECONDS = 5.0
    # Password reset and invitation links expire after this many seconds.
    RESET_TOKEN_MAX_AGE = 3600
    INVITATION_MAX_AGE = 14 * 24 * 3600
    # An invitation for a provider's staff (to become an author in the studio) expires after this many days.
    STAFF_INVITATION_DAYS = 14
    # Rate limiting (Flask-Limiter): memory per process by default; redis://... when several servers run.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins per account from browsers without its device cookie (from any address); also POSTs per client
    # address to register, ask for a reset link and change a password.
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    # Failed logins per device cookie (a browser where the account logged in before; see blueprints/auth/throttle.py).
    LOGIN_DEVICE_RATE_LIMIT = "10 per minute;50 per hour"
    # Failed logins per client address, any account: generous, as colleagues may share one address (NAT).
    LOGIN_ADDRESS_RATE_LIMIT = "30 per minute;300 per hour"
    # How long a browser's device cookie for an account lasts, in seconds.
    LOGIN_DEVICE_COOKIE_DURATION = 365 * 24 * 3600
    # Roles that must use a TOTP second factor, comma-separated (e.g. "admin,funder"); such a user without one is
    # sent to /me/security before anything else. Admin, funder and author accounts may use one either way.
    MFA_REQUIRED_ROLES = ""
    # E-mail address confirmation links expire after this many seconds; "send the link again" per user.
    EMAIL_CONFIRM_MAX_AGE = 3 * 24 * 3600
    CONFIRM_RESEND_RATE_LIMIT = "2 per minute;6 per day"
    # Certificate look-ups by code (the verification page and the API together), per client address: enough for
    # an employer checking a pile of certificates, too few to try codes at random.
    CERTIFICATE_LOOKUP_RATE_LIMIT = "20 per minute;200 per hour"
    # Cookies: HttpOnly and SameSite always; Secure when served over HTTPS (run --production sets it).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Secure also whenever SESSION_COOKIE_SECURE is (when the app is built, and by run --production).
    REMEMBER_COOKIE_SECURE = False
    # "Remember me" lasts this many seconds, and so does any one login on the server (services/logins.py).
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    # Forms: CSRF tokens live as long as the session.
    WTF_CSRF_TIME_LIMIT = None
    # Languages: bokmål by default; nynorsk and English selectable.
    BABEL_DEFAULT_LOCALE = "nb"
    BABEL_DEFAULT_TIMEZONE = "Europe/Oslo"
    LANGUAGES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
    # Cache lifetime for course assets (they are stored by content hash, so they never change).
    ASSET_MAX_AGE = 7 * 24 * 3600
    # Shown on the privacy page as the address for privacy questions (e.g. "personvern@example.no").
    PRIVACY_CONTACT: str | None = None
    # Shown on the accessibility statement as the address for reporting barriers; PRIVACY_CONTACT when not set.
    ACCESSIBILITY_CONTACT: str | None = None
    # Largest request body accepted, in bytes (bigger ones get the friendly 413 page): the largest legitimate
    # upload is a 1 MB CSV file for bulk enrolment (services/csvfile.MAX_BYTES) plus the form around it.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Zip uploads in the studio (services/packages.py): at most this many entries, and this many MiB unpacked in
    # all (counted while unpacking, so a zip bomb stops there); the upload itself may be as large.
    STUDIO_ZIP_MAX_ENTRIES = 2000
    STUDIO_ZIP_MAX_MB = 200
    # Catalogue page size.
    PAGE_SIZE = 20
    # Funder and provider reports, exports and the reports API show a count of people below this as "<5"
    # (services/suppression.py), so nobody in a small rural firm can be picked out.
    REPORTS_MIN_COUNT = 5
    # The slug of the county library's provider: its staff see every library's maker space report (None: nobody
    # but administrators and each library's own staff).
    WORKSHOP_COUNTY_LIBRARY = None
    # Module pages and their learners' parts kept rendered per app process (page_shell.py; about 3-12 kB each).
    PAGE_SHELL_ENTRIES = 2048
    # Brønnøysund lookup: off by default, and never used by the tests over the network.
    BRREG_ENABLED = False
    BRREG_URL = "https://data.brreg.no/enhetsregisteret/api"
    BRREG_TIMEOUT = 3.0
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Folder of the Ed25519 keys that sign the Open Badges credentials and status lists; None means
    # <instance>/keys. Created on first start (mode 0700, files 0600); back it up with the database.
    SIGNING_KEYS_DIR: str | None = None
    # Seconds verifiers and proxies may cache a revocation list (Cache-Control max-age, and the list's `ttl`):
    # a revocation shows everywhere within this time.
    STATUS_LIST_MAX_AGE = 60
    # Number of reverse proxies in front of the app (X-Forwarded-For/-Proto/-Host/-Prefix are trusted from that many
    # hops, web/proxies.py); needed so rate limits see the client's address and not the proxy's. None: 0, but 1
    # with `courseware run --production` (behind nginx).
    PROXIES: int | None = None
    # The peers whose X-Forwarded-* headers count (addresses or networks, comma-separated): where the proxy
    # connects from. Headers from anyone else are dropped.
    TRUSTED_PROXY = "127.0.0.1/32,::1/128"
    # PostgreSQL: seconds to wait for a new database connection before giving up (so /readyz answers 503 in time
    # when the database is unreachable); None leaves the driver's default (wait for ever).
    DATABASE_CONNECT_TIMEOUT: int | None = 5
    # /metrics answers only these client addresses (networks, comma-separated) ...
    METRICS_ALLOW = "127.0.0.1/32,::1/128"
    # ... or a request with "Authorization: Bearer <METRICS_TOKEN>" (None: no token accepted).
    METRICS_TOKEN: str | None = None
    # /readyz also requires a background worker's heartbeat younger than WORKER_HEARTBEAT_MAX_AGE seconds.
    READY_REQUIRES_WORKER = False
    WORKER_HEARTBEAT_MAX_AGE = 120
    # Log lines as "text" or "json" (one object per line); both carry the request id.
    LOG_FORMAT = "text"
    # Take the request id from the X-Request-ID header (set by our proxy); None means: when PROXIES > 0.
    TRUST_REQUEST_ID: bool | None = None


def _parse(kind, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_environment(environ=None) -> dict:
    """Settings given as COURSEWARE_* environment variables."""
    environ = os.environ if environ is None else environ
    return {key: _parse(kind, environ[name]) for name, (key, kind) in ENVIRONMENT.items() if environ.get(name)}
