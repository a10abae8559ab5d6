"""deploy/render_site.py: the nginx site as an operator renders it (tests/test_deploy_nginx.py runs it with nginx)."""
import subprocess

import pytest

from courseware.config import DefaultConfig

from .deploy_support import MIME_TYPES, NGINX, REPO, load_render_site, self_signed_certificate

render_site = load_render_site()


def _production(**overrides) -> str:
    options = {"server_name": "kurs.example.no www.kurs.example.no", "certificate": "/etc/ssl/kurs.pem",
               "certificate_key": "/etc/ssl/private/kurs.key", **overrides}
    return render_site.render_site(**options)


def test_the_default_site_has_two_app_servers_both_address_families_and_the_apps_limits():
    site = _production()
    assert "@" not in site.replace("$", "")  # every placeholder filled
    assert site.count("server 127.0.0.1:8001 ") == 1 and site.count("server 127.0.0.1:8002 ") == 1
    assert "listen 443 ssl http2;" in site and "listen [::]:443 ssl http2;" in site
    assert "listen 80;" in site and "listen [::]:80;" in site
    assert f"alias {REPO / 'courseware' / 'static'}/;" in site
    mib = DefaultConfig.MAX_CONTENT_LENGTH // (1024 * 1024)
    assert f"client_max_body_size {mib + 1}m;" in site
    assert f"client_max_body_size {DefaultConfig.STUDIO_ZIP_MAX_MB + 1}m;" in site
    assert f"client_max_body_size {DefaultConfig.MAX_ASSET_MB + 1}m;" in site
    assert "server_name kurs.example.no www.kurs.example.no;" in site


def test_values_that_would_change_the_files_meaning_are_refused():
    for bad in ({"server_name": "kurs.example.no; include /etc/passwd"}, {"certificate": "/a b.pem"},
                {"certificate_key": ""}, {"app_servers": []}, {"app_servers": ["127.0.0.1:8001 backup"]}):
        with pytest.raises(ValueError):
            _production(**bad)
    with pytest.raises(ValueError, match="no value"):
        render_site.render("listen @NOT_GIVEN@;\n", {})
    with pytest.raises(ValueError, match="no placeholder"):
        render_site.render("listen 80;\n", {"UNUSED": "x"})


def test_the_command_prints_the_site(capsys):
    assert render_site.main(["--server-name", "kurs.example.no", "--certificate", "/c.pem", "--certificate-key",
                             "/k.pem", "--app-server", "10.0.0.5:8001", "--max-body-mb", "10"]) == 0
    site = capsys.readouterr().out
    assert "server 10.0.0.5:8001 " in site and "127.0.0.1:8002" not in site
    assert "client_max_body_size 10m;" in site


@pytest.mark.skipif(not NGINX.exists(), reason=f"needs Debian's nginx at {NGINX}")
def test_nginx_accepts_the_production_site(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    (tmp_path / "courseware.conf").write_text(_production(certificate=cert, certificate_key=key))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include {MIME_TYPES}; access_log off; include {tmp_path}/courseware.conf; }}\n")
    checked = subprocess.run([str(NGINX), "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
