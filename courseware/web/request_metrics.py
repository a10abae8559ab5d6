"""Each request's count and latency for /metrics, labelled by endpoint (the route's name, so cardinality stays
bounded: a request for a URL that matches no route is "unmatched"), method and status."""
import time

from flask import Flask, request, request_started

from ..services import metrics

STARTED = "courseware.request_started_at"  # in the environ: tests share one `g` across requests


def _start(_sender, **_extra) -> None:
    # request_started fires before any before_request hook, so a request refused by one is timed too.
    request.environ[STARTED] = time.perf_counter()


def init_app(app: Flask) -> None:
    request_started.connect(_start, app)

    @app.after_request
    def observe(response):
        started = request.environ.pop(STARTED, None)
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
            metrics.observe_request(endpoint, request.method, response.status_code, time.perf_counter() - started)
        return response
