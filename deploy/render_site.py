#!/usr/bin/env python3
"""Fill in the placeholders of deploy/nginx/courseware.conf (names between at signs) and print the nginx site.

    python3 deploy/render_site.py --server-name kurs.example.no \\
        --certificate /etc/letsencrypt/live/kurs.example.no/fullchain.pem \\
        --certificate-key /etc/letsencrypt/live/kurs.example.no/privkey.pem > /etc/nginx/sites-available/courseware

The template is the one source of the site: tests/test_deploy_nginx.py and bench/two_servers.py render it with
`render_site(...)` for their own ports. Standard library only, so any python3 runs it; the body size limits come
from courseware/config.py's defaults (pass --max-body-mb and friends when instance/config.py changes them).
"""
import argparse
import importlib.util
import math
import re
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
TEMPLATE = DEPLOY / "nginx" / "courseware.conf"
STATIC_DIR = REPO / "courseware" / "static"
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def _defaults():
    """courseware/config.py's DefaultConfig, read without importing the app (or Flask)."""
    spec = importlib.util.spec_from_file_location("_courseware_config", REPO / "courseware" / "config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DefaultConfig


def _megabytes(n: float) -> str:
    return f"{math.ceil(n)}m"


def site_values(*, server_name: str, certificate: str, certificate_key: str,
                app_servers=("127.0.0.1:8001", "127.0.0.1:8002"), https_listen=("443", "[::]:443"),
                http_listen=("80", "[::]:80"), static_dir: str | Path = STATIC_DIR, max_body_mb: float | None = None,
                zip_upload_mb: float | None = None, asset_upload_mb: float | None = None) -> dict:
    """The values of every placeholder; lists are repeated line by line. Body sizes default to the app's limits
    plus 1 MiB (the app answers a too large body itself, with its friendly page, below nginx's limit)."""
    config = _defaults()
    if max_body_mb is None:
        max_body_mb = config.MAX_CONTENT_LENGTH / (1024 * 1024) + 1
    if zip_upload_mb is None:
        zip_upload_mb = config.STUDIO_ZIP_MAX_MB + 1
    if asset_upload_mb is None:
        asset_upload_mb = config.MAX_ASSET_MB + 1
    return {
        "SERVER_NAME": server_name,
        "TLS_CERTIFICATE": str(certificate),
        "TLS_CERTIFICATE_KEY": str(certificate_key),
        "APP_SERVER": list(app_servers),
        "HTTPS_LISTEN": list(https_listen),
        "HTTP_LISTEN": list(http_listen),
        "STATIC_DIR": str(Path(static_dir).resolve()),
        "MAX_BODY": _megabytes(max_body_mb),
        "ZIP_UPLOAD_MAX": _megabytes(zip_upload_mb),
        "ASSET_UPLOAD_MAX": _megabytes(asset_upload_mb),
    }


def render(template: str, values: dict) -> str:
    """The template with every placeholder filled; a line whose placeholder has a list value is written once per
    value. ValueError for a placeholder without a value, a value never used, or a value that would break the file."""
    used, lines = set(), []
    for line in template.splitlines(keepends=True):
        names = PLACEHOLDER.findall(line)
        missing = [name for name in names if name not in values]
        if missing:
            raise ValueError(f"no value for @{missing[0]}@")
        used.update(names)
        lists = {name for name in names if isinstance(values[name], (list, tuple))}
        if len(lists) > 1:
            raise ValueError(f"one list placeholder per line: {sorted(lists)}")
        variants = [{name: item} for name in lists for item in values[name]] if lists else [{}]
        if lists and not variants:
            raise ValueError(f"@{next(iter(lists))}@ needs at least one value")
        for variant in variants:
            def fill(match, variant=variant):
                name = match.group(1)
                return _checked(name, variant.get(name, values[name]))
            lines.append(PLACEHOLDER.sub(fill, line))
    unused = set(values) - used
    if unused:
        raise ValueError(f"values for no placeholder: {sorted(unused)}")
    return "".join(lines)


def _checked(name: str, value) -> str:
    """A value as it goes into the file: never empty, never anything that would end or open a directive."""
    text = str(value)
    spaces_ok = name == "SERVER_NAME"  # several names, space-separated
    if not text.strip() or re.search(r"[;{}#'\"\\]", text) or (re.search(r"\s", text) and not spaces_ok) \
            or "\n" in text:
        raise ValueError(f"@{name}@: {text!r} is empty or holds characters nginx would read")
    return text


def render_site(**options) -> str:
    """deploy/nginx/courseware.conf filled with site_values(**options)."""
    return render(TEMPLATE.read_text(encoding="utf-8"), site_values(**options))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-name", required=True, help="the public host name(s), space-separated")
    parser.add_argument("--certificate", required=True, help="the certificate chain (PEM)")
    parser.add_argument("--certificate-key", required=True, help="its private key (PEM)")
    parser.add_argument("--app-server", action="append", help="host:port of an app server (repeat; default "
                        "127.0.0.1:8001 and 127.0.0.1:8002)")
    parser.add_argument("--https-listen", action="append", help="nginx listen address for HTTPS (repeat; default "
                        "443 and [::]:443)")
    parser.add_argument("--http-listen", action="append", help="the same for the redirect (default 80, [::]:80)")
    parser.add_argument("--static-dir", default=str(STATIC_DIR), help="the package's static folder")
    parser.add_argument("--max-body-mb", type=float, help="largest request body (default MAX_CONTENT_LENGTH + 1)")
    parser.add_argument("--zip-upload-mb", type=float, help="largest course zip upload (STUDIO_ZIP_MAX_MB + 1)")
    parser.add_argument("--asset-upload-mb", type=float, help="largest asset upload (MAX_ASSET_MB + 1)")
    args = parser.parse_args(argv)
    options = {"server_name": args.server_name, "certificate": args.certificate,
               "certificate_key": args.certificate_key, "static_dir": args.static_dir,
               "max_body_mb": args.max_body_mb, "zip_upload_mb": args.zip_upload_mb,
               "asset_upload_mb": args.asset_upload_mb}
    for name in ("app_server", "https_listen", "http_listen"):
        if getattr(args, name):
            options[name + "s" if name == "app_server" else name] = getattr(args, name)
    try:
        sys.stdout.write(render_site(**options))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
