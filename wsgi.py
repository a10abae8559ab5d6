"""WSGI entry point: `waitress-serve wsgi:app` or `gunicorn wsgi:app`."""
from courseware import create_app

app = create_app()
