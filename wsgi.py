"""WSGI entry point for production app servers behind deploy/'s HTTPS proxy: `gunicorn wsgi:app` or
`waitress-serve wsgi:app`. Serves as `courseware run --production` does (Secure cookies on an https BASE_URL, the
proxy's X-Forwarded-* headers from trusted peers); run `courseware init` once per release and `courseware worker`
beside it."""
from courseware import behind_https_proxy, create_app

app = behind_https_proxy(create_app())
