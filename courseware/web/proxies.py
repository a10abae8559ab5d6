"""The client's address, scheme and host behind reverse proxies: read from X-Forwarded-* exactly once, here.

`PROXIES` (COURSEWARE_PROXIES) says how many proxies stand in front of the app (nginx alone: 1); `TRUSTED_PROXY`
(COURSEWARE_TRUSTED_PROXY) which peers may be one (addresses or networks, comma-separated; default the loopback
addresses, where nginx on the same host connects from). A request whose peer is a trusted proxy goes through
Werkzeug's ProxyFix with that many hops of X-Forwarded-For, -Proto, -Host and -Prefix; from any other peer (someone
who reaches an app server's port directly) those headers are dropped, so nobody can choose the address that rate
limits count, the audit log records and /metrics checks.

Whatever the WSGI server: `courseware run` tells waitress to pass the headers through untouched (waitress would
otherwise drop them, or read them a second time), and gunicorn reads none of them for the address. The settings
are read per request, so `courseware run --production` can still default PROXIES to 1 after the app is built.
"""
import functools
import ipaddress
import logging

from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger("courseware.proxies")

# The WSGI environ keys of the headers ProxyFix reads (Forwarded is read by nobody here).
FORWARDED_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                  "HTTP_X_FORWARDED_PREFIX")
# Set in the environ when the request came through a trusted proxy (request_id.py then trusts X-Request-ID).
VIA_PROXY = "courseware.via_trusted_proxy"
DEFAULT_TRUSTED = "127.0.0.1/32,::1/128"


def parse_networks(setting, name: str = "setting") -> tuple:
    """IP networks from "a, b/24, ..." (or a list); a mistyped entry is logged and allows nothing."""
    items = setting.split(",") if isinstance(setting, str) else (setting or ())
    networks = []
    for item in items:
        item = str(item).strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                log.warning("%s: not an address or network: %r", name, item)
    return tuple(networks)


def address_in(address: str | None, networks) -> bool:
    """Whether `address` (as a WSGI REMOTE_ADDR gives it) is in one of `networks`."""
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if client.version == 6 and client.ipv4_mapped:  # ::ffff:127.0.0.1 on a dual-stack socket
        client = client.ipv4_mapped
    return any(client in network for network in networks)


@functools.lru_cache(maxsize=64)
def _trusted(setting: str, peer: str) -> bool:
    return address_in(peer, parse_networks(setting, "TRUSTED_PROXY"))


class ForwardedHeaders:
    """WSGI middleware around the Flask app's wsgi_app (see the module docstring)."""

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = int(self.config.get("PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        setting = str(self.config.get("TRUSTED_PROXY") or DEFAULT_TRUSTED)
        if not _trusted(setting, environ.get("REMOTE_ADDR") or ""):
            for key in FORWARDED_KEYS:
                environ.pop(key, None)
            return self.wsgi_app(environ, start_response)
        environ[VIA_PROXY] = True
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
        return fix(environ, start_response)


def init_app(app) -> None:
    """Wrap the app (last, so it runs first): the address is right before any hook or view reads it."""
    app.wsgi_app = ForwardedHeaders(app.wsgi_app, app.config)
