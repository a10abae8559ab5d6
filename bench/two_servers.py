"""The module page through nginx (HTTPS, deploy/'s site) in front of ONE app server beside TWO, in the same run.

    .venv/bin/python bench/two_servers.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_two]
        [--seconds 10] [--rounds 2] [--clients 16] [--client-processes 2] [--threads 8]

Starts, like tests/test_deploy_nginx.py: a fresh PostgreSQL database (created when missing, emptied), `courseware
init` with the demo courses, a learner, two app servers (`courseware run --production --skip-init --no-worker`),
and two nginx instances rendered from deploy/nginx/courseware.conf: one with app server 1 alone as its upstream, one
with both. The load comes from `--client-processes` processes with keep-alive HTTPS connections (`--clients` in
all), logged in as the learner (not enrolled: the page's one query, the page shell, no quiz), asking for one module
page over and over; the two set-ups take turns for `--rounds` rounds of `--seconds` each. Prints requests/s,
p50/p95/max latency and errors per round, the CPU seconds each app server and nginx used in it (warm-up included),
and the load average: the clients, nginx and the servers share this machine's cores. Needs Debian's nginx and Redis
at 127.0.0.1:6379 (db 5).
"""
import argparse
import http.client
import multiprocessing
import os
import re
import ssl
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.deploy_support import (REPO, Processes, client_from, empty_postgres_database, free_port,  # noqa: E402
                                  run_courseware, self_signed_certificate, start_app_server, start_nginx)

PASSWORD = "Riktig-hest-batteri-42"
LEARNER = "laerer@example.no"


def log_in(base: str, cert: Path) -> tuple[str, str]:
    """The learner's cookie header after logging in through nginx, and the path of a module page."""
    browser = client_from(None, str(cert))
    page = browser.get(f"{base}/auth/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    done = browser.post(f"{base}/auth/login", data={"csrf_token": token, "email": LEARNER, "password": PASSWORD},
                        headers={"Referer": f"{base}/auth/login"}, allow_redirects=False)
    assert done.status_code == 302, done.status_code
    catalogue = browser.get(f"{base}/").text
    slug = re.search(r'href="/courses/([a-z0-9-]+)"', catalogue).group(1)
    course = browser.get(f"{base}/courses/{slug}").text
    key = re.search(rf'href="/courses/{slug}/([a-z0-9-]+)"', course).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    module = f"/courses/{slug}/{key}"
    assert browser.get(f"{base}{module}").status_code == 200
    return cookie, module


TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def _client_process(port, path, cookie, cafile, threads, start_at, stop_at, queue):
    context = ssl.create_default_context(cafile=cafile)
    results, lock = [], threading.Lock()

    def worker():
        conn, mine = None, []
        while time.time() < stop_at:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok, conn = False, None
            if time.time() >= start_at:
                mine.append((time.perf_counter() - began, ok))
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(results)


def measure(port: int, path: str, cookie: str, cafile: str, seconds: float, clients: int, processes: int) -> dict:
    warm_up = 1.0
    start_at = time.time() + warm_up
    stop_at = start_at + seconds
    queue = multiprocessing.Queue()
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [multiprocessing.Process(target=_client_process,
                                     args=(port, path, cookie, cafile, n, start_at, stop_at, queue))
             for n in per_process if n]
    for p in procs:
        p.start()
    results = [item for _ in procs for item in queue.get()]
    for p in procs:
        p.join()
    times = sorted(t for t, ok in results if ok)
    errors = sum(1 for _, ok in results if not ok)
    quantile = (lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000) if times else (lambda q: 0.0)
    return {"rps": len(times) / seconds, "p50": quantile(0.5), "p95": quantile(0.95),
            "max": times[-1] * 1000 if times else 0.0, "errors": errors,
            "mean": statistics.fmean(times) * 1000 if times else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_two_servers")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per app server")
    args = parser.parse_args()

    import redis

    processes = Processes()
    prefix = f"cw-bench-{uuid.uuid4().hex[:8]}"
    store = redis.Redis.from_url(args.redis_url)
    with tempfile.TemporaryDirectory(prefix="two-servers-") as tmp:
        folder = Path(tmp)
        try:
            instance = folder / "instance"
            instance.mkdir()
            (instance / "config.py").write_text(f'RATELIMIT_STORAGE_OPTIONS = {{"key_prefix": "{prefix}"}}\n')
            env = {k: v for k, v in os.environ.items() if not k.startswith("COURSEWARE_")}
            env.update({"COURSEWARE_DATABASE_URL": empty_postgres_database(args.database_url),
                        "COURSEWARE_REDIS_URL": args.redis_url, "COURSEWARE_INSTANCE_PATH": str(instance),
                        "COURSEWARE_COURSES_DIR": str(REPO / "courses"),
                        "COURSEWARE_BASE_URL": "https://127.0.0.1"})
            print("preparing: courseware init (migrations, demo courses) ...", flush=True)
            run_courseware(["init"], env)
            run_courseware(["create-user", "--email", LEARNER, "--role", "learner", "--password", PASSWORD], env)
            cert, key = self_signed_certificate(folder)
            ports = [free_port(), free_port()]
            for number, port in enumerate(ports, start=1):
                start_app_server(processes, f"app{number}", port, env, folder, threads=args.threads)
            setups = {}
            for name, upstream in (("1 server", ports[:1]), ("2 servers", ports)):
                sub = folder / name.replace(" ", "-")
                sub.mkdir()
                setups[name] = start_nginx(processes, sub, upstream, cert, key, workers=2)
            cookie, path = log_in(setups["2 servers"].url("").rstrip("/"), cert)
            print(f"module page {path}; {args.clients} keep-alive HTTPS clients in {args.client_processes} "
                  f"processes; {args.threads} waitress threads per app server; {os.cpu_count()} cores; "
                  f"{args.seconds:.0f} s per round\n")
            app_pids = [p.popen.pid for p in processes.started if p.name.startswith("app")]
            print(f"{'round':>5}  {'set-up':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
                  f"{'errors':>6}  {'CPU s: app1':>11} {'app2':>6} {'nginx':>6}  load avg")
            totals = {name: [] for name in setups}
            for round_ in range(1, args.rounds + 1):
                for name, nginx in setups.items():
                    watched = [[app_pids[0]], [app_pids[1]],
                               [nginx.process.popen.pid, *_children(nginx.process.popen.pid)]]
                    before = [cpu_seconds(group) for group in watched]
                    r = measure(nginx.https_port, path, cookie, str(cert), args.seconds, args.clients,
                                args.client_processes)
                    used = [cpu_seconds(group) - b for group, b in zip(watched, before)]
                    totals[name].append(r)
                    print(f"{round_:>5}  {name:<10} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                          f"{r['max']:8.1f} {r['errors']:6d}  {used[0]:11.1f} {used[1]:6.1f} {used[2]:6.1f}  "
                          f"{os.getloadavg()[0]:.1f}", flush=True)
            one, two = (statistics.fmean(r["rps"] for r in totals[n]) for n in setups)
            print(f"\nmean: 1 server {one:.1f} req/s, 2 servers {two:.1f} req/s ({two / one:.2f}x)")
        finally:
            processes.stop_all()
            for item in store.scan_iter(match=f"{prefix}:*"):
                store.delete(item)


if __name__ == "__main__":
    main()
