"""Real processes for tests/test_deploy_nginx.py and bench/two_servers.py: app servers (`courseware run
--production`), Debian's nginx with deploy/'s site in front of them, a self-signed certificate, and clients that
connect from a chosen loopback address (so nginx sees different clients on one machine).

Every process is started as a child of the test (nginx with `daemon off`), its output goes to files in the test's
folder, and `stop()` ends it (SIGTERM, then SIGKILL) whatever happened.
"""
import datetime
import importlib.util
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

REPO = Path(__file__).resolve().parent.parent
NGINX = Path("/usr/sbin/nginx")
MIME_TYPES = Path("/etc/nginx/mime.types")
# The `courseware` command of this checkout, whatever environment runs the tests.
COURSEWARE = [sys.executable, "-c", "import sys; from courseware.cli import main; sys.argv[0] = 'courseware'; main()"]


def empty_postgres_database(url: str) -> str:
    """The PostgreSQL database at `url`, created when missing (through the server's `postgres` database) and
    emptied, so that `courseware init` migrates it from the start; its URL as text."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def load_render_site():
    """deploy/render_site.py (a script, not a package) as a module."""
    spec = importlib.util.spec_from_file_location("courseware_render_site", REPO / "deploy" / "render_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path, names=("localhost",), addresses=("127.0.0.1",)) -> tuple[Path, Path]:
    """A certificate for `names` and `addresses` (subjectAltName) and its key, as PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "tls.crt", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _libc_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the finalizers still stop the processes
        return None


_PRCTL = _libc_prctl()  # looked up here, so that the forked child only makes the call


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, however it dies (Linux prctl
    PR_SET_PDEATHSIG = 1), so no server or nginx outlives a killed test run."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Processes:
    """The children of one test module; stop_all() ends them, last started first."""
    started: list = field(default_factory=list)

    def start(self, name: str, args: list, log: Path, env: dict | None = None, cwd: Path = REPO) -> Process:
        with open(log, "ab") as out:
            popen = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


def wait_for_http(url: str, process: Process, timeout: float = 90.0, **kwargs) -> None:
    """Until `url` answers (any status below 500); AssertionError with the process's output when it died or
    never answered."""
    deadline = time.monotonic() + timeout
    session = requests.Session()
    session.trust_env = False
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.output()[-4000:]}")
        try:
            if session.get(url, timeout=2, allow_redirects=False, **kwargs).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{process.name} did not answer {url} in {timeout:.0f} s:\n{process.output()[-4000:]}")


def run_courseware(args: list, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(COURSEWARE + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_die_with_parent)
    if done.returncode != 0:
        raise AssertionError(f"courseware {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def start_app_server(processes: Processes, name: str, port: int, env: dict, folder: Path,
                     threads: int | None = None) -> Process:
    """`courseware run --production --skip-init --no-worker` on 127.0.0.1:port, as deploy/systemd does."""
    args = COURSEWARE + ["run", "--production", "--skip-init", "--no-worker", "--host", "127.0.0.1",
                         "--port", str(port)]
    if threads:
        args += ["--threads", str(threads)]
    process = processes.start(name, args, folder / f"{name}.log", env=env)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
    return process


def start_gunicorn(processes: Processes, name: str, port: int, env: dict, folder: Path, workers: int = 2,
                   threads: int = 2) -> Process:
    """gunicorn serving wsgi:app on 127.0.0.1:port, as deploy/README.md serves sites with webinar peaks."""
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    process = processes.start(name, args, folder / f"{name}.log", env=env)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
    return process


NGINX_MAIN = """\
# The test's main configuration: what Debian's /etc/nginx/nginx.conf gives a site, with every path in {prefix}.
daemon off;
worker_processes {workers};
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    sendfile on;
    log_format with_id '$remote_addr $request_id $status "$request" $upstream_addr';
    access_log {prefix}/access.log with_id;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


@dataclass
class Nginx:
    process: Process
    prefix: Path
    https_port: int
    http_port: int

    def url(self, path: str = "/") -> str:
        return f"https://127.0.0.1:{self.https_port}{path}"

    def access_log(self, wait_for: str | None = None) -> list[str]:
        """The access log's lines ('$remote_addr $request_id $status "$request" $upstream_addr'); with `wait_for`,
        after a line holding it was written (nginx logs a request just after its response has gone out)."""
        path = self.prefix / "access.log"
        deadline = time.monotonic() + 5
        while True:
            lines = path.read_text().splitlines() if path.exists() else []
            if wait_for is None or any(wait_for in line for line in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


def start_nginx(processes: Processes, folder: Path, app_ports: list[int], cert: Path, key: Path,
                workers: int = 1, https_port: int | None = None) -> Nginx:
    """Debian's nginx with deploy/nginx/courseware.conf, rendered for test ports, in front of `app_ports`."""
    prefix = folder / "nginx"
    prefix.mkdir(exist_ok=True)
    https_port, http_port = https_port or free_port(), free_port()
    site = load_render_site().render_site(
        server_name="localhost 127.0.0.1", certificate=cert, certificate_key=key,
        app_servers=[f"127.0.0.1:{port}" for port in app_ports],
        https_listen=[f"127.0.0.1:{https_port}"], http_listen=[f"127.0.0.1:{http_port}"])
    (prefix / "courseware.conf").write_text(site)
    # As root, the workers would run as nobody, who may not read the test's folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(NGINX_MAIN.format(prefix=prefix, workers=workers, user=user,
                                                         mime_types=MIME_TYPES, site=prefix / "courseware.conf"))
    command = [str(NGINX), "-c", str(prefix / "nginx.conf"), "-p", str(prefix), "-e", str(prefix / "error.log")]
    checked = subprocess.run(command + ["-t"], capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t refused the rendered site:\n{checked.stderr}")
    process = processes.start("nginx", command, prefix / "nginx.out")
    wait_for_http(f"http://127.0.0.1:{http_port}/", process)
    return Nginx(process, prefix, https_port, http_port)


class SourceAddressAdapter(HTTPAdapter):
    """Connections from a chosen local address: 127.0.0.2, 127.0.0.3, ... are all this machine (127.0.0.0/8 is
    loopback), so nginx sees one client per address."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser(requests.Session):
    """A requests session that also sends its Secure cookies to http://127.0.0.1:<app server port>: a test talks
    to the app servers directly as well as through nginx (cookies are per host, not per port)."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def client_from(source: str | None, verify) -> requests.Session:
    """A Browser (cookies kept) that connects from `source` (None: the default) and trusts `verify`."""
    session = Browser()
    session.trust_env = False  # no proxy from the environment, and no CA bundle that would override `verify`
    session.verify = verify
    if source:
        adapter = SourceAddressAdapter(source)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session
