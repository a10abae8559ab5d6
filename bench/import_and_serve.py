"""Benchmark for the platform foundation (issue 2).

Generates 50 course packages of 10 modules, imports them (first import), re-imports them unchanged, then serves a
module page and a bare Flask page of the same size from the same server (waitress) in the same run and prints
requests/s of both and their ratio. Targets: first import < 10 s, unchanged re-import >= 10x faster, module page
>= half the throughput of the bare page.

    .venv/bin/python bench/import_and_serve.py [--courses 50] [--modules 10] [--seconds 5] [--clients 8] [--threads 4]

With --media (issue 12), it only imports, twice in one run, each into a fresh database: the same set as is, and the
same set with code blocks (highlighted by Pygments, output and error blocks) and formulas (LaTeX to MathML) in every
section, and prints both first-import times. Target: the set with code and math still under 10 s.

    .venv/bin/python bench/import_and_serve.py --media [--courses 50] [--modules 10] [--repeat 2]
"""
import argparse
import http.client
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

# The repository this script is in, not whatever copy of courseware the environment has installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)

BODY = """
## {title}: hvorfor det lønner seg

Små bedrifter i Trøndelag bruker stadig flere digitale verktøy. Denne modulen viser **hva** du kan gjøre,
*hvorfor* det lønner seg, og hvordan du kommer i gang i egen bedrift.

| Tiltak | Kostnad | Gevinst |
|:-------|:-------:|--------:|
| Tofaktor | Lav | Høy |
| Sikkerhetskopi | Lav | Høy |
| Digitale skjema | Middels | Middels |

![Illustrasjon av arbeidsflyt](../assets/figur.png)

!!! tip "Tips"
    Start med ett lite tiltak og mål effekten før du går videre.

1. Kartlegg dagens rutiner.
2. Velg ett område å forbedre.
3. Avtal oppfølging med kollegaer.

Se [forrige modul]({prev}) for bakgrunn.

"""
# Added to every section with --media: 6 sections a module, so 12 code blocks and 24 formulas a module. Each
# section's formulas differ ({number}), so the renderer's cache of formulas makes them no cheaper than real ones.
MEDIA = r"""
Et lite skript som leser temperaturen fra sensor {number}, der $t_{{{number}}}$ er måling nummer $n$ og snittet er
$\bar{{t}}_{{{number}}} = \frac{{1}}{{n}}\sum_{{i=1}}^{{n}} t_{{i,{number}}}$:

```python
import statistics

def snitt(malinger: list[float]) -> float:
    # Gjennomsnittet av målingene, avrundet.
    return round(statistics.mean(malinger), 1)

print(snitt([3.5, 4.0, 4.25]))  # {title}
```

```output
3.9
```

Varmetapet er $$Q_{{{number}}} = U \cdot A \cdot \Delta T + {number}$$ og prisen kr 50$ per time, eller $5 and $10.
"""


def make_packages(root: Path, courses: int, modules: int, extra: str = "") -> None:
    for c in range(courses):
        slug = f"bench-kurs-{c:03d}"
        pkg = root / slug
        (pkg / "modules").mkdir(parents=True)
        (pkg / "assets").mkdir()
        (pkg / "assets" / "figur.png").write_bytes(PNG_1PX)
        (pkg / "course.toml").write_text(
            f'format = 1\ntitle = "Benchmarkkurs {c}"\nsummary = "Generert kurs."\nprovider = "bench-hage"\n'
            f'provider_name = "Bench Næringshage"\nindustry = "C"\nstage = 1\n', encoding="utf-8")
        for m in range(modules):
            prev = f"{max(m - 1, 0) + 1:02d}-modul-{max(m - 1, 0)}.md"
            front = (
                f"---\ntitle: Modul {m}\nminutes: 20\nobjectives:\n  - Forstå tema {m}\ntasks:\n  - Gjør oppgave {m}\n"
                "quiz:\n  questions:\n    - prompt: Hva er riktig?\n      correct: [Dette]\n      wrong: [Det, Noe annet]\n"
                "      explain: Fordi.\n---\n"
            )
            sections = [BODY.format(title=f"Del {i}", prev=prev)
                        + extra.format(title=f"Del {i}", number=(c * modules + m) * 6 + i) for i in range(6)]
            body = f"# Modul {m}\n" + "".join(sections)
            (pkg / "modules" / f"{m + 1:02d}-modul-{m}.md").write_text(front + body, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_app(tmp: Path, courses_dir: Path):
    os.environ["COURSEWARE_INSTANCE_PATH"] = str(tmp / "instance")
    from courseware import create_app

    return create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
        "COURSES_DIR": str(courses_dir), "MEDIA_DIR": str(tmp / "media"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def serve(tmp: str, courses_dir: str, port: int, sizes_file: str, threads: int, ready) -> None:
    """Server process: the real app plus bare pages of the module pages' sizes, on waitress."""
    import json
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is expected under load
    app = build_app(Path(tmp), Path(courses_dir))
    for name, size in json.loads(Path(sizes_file).read_text()).items():
        app.add_url_rule(f"/bench/bare-{name}", f"bare_{name}", lambda body="x" * size: body)
    ready.set()
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


def browser_cookie(port: int, path: str, cookie: str) -> str:
    """The session cookie after one request from this client, as a browser would keep it.

    The first request from a new client (address and user agent) updates the session (Flask-Login marks it as
    seen from a new browser); sending the old cookie on every request would make the server re-sign and re-send
    the session cookie every time, which no real browser causes.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    jar = dict(part.split("=", 1) for part in cookie.split("; "))
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, value = header.split(";", 1)[0].split("=", 1)
        jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def load(port: int, path: str, cookie: str, seconds: float, clients: int) -> tuple[float, int]:
    """Requests/s with `clients` keep-alive connections for `seconds`; returns (rate, errors)."""
    done, errors = [0] * clients, [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                done[i] += 1
            else:
                errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - start), sum(errors)


def timed_import(tmp: Path, courses: int, modules: int, extra: str) -> tuple[float, int, int, dict]:
    """First import of a generated set into a fresh database: (seconds, new, refused, counts in the HTML)."""
    courses_dir = tmp / "courses"
    make_packages(courses_dir, courses, modules, extra)
    app = build_app(tmp, courses_dir)
    from courseware.content.importer import import_packages
    from courseware.extensions import db
    from courseware.models import Module

    with app.app_context():
        db.create_all()
        t0 = time.perf_counter()
        report = import_packages(None)
        db.session.commit()
        seconds = time.perf_counter() - t0
        html = "".join(db.session.execute(db.select(Module.html)).scalars())
        counts = {"code blocks": html.count('<div class="code-block'), "formulas": html.count("<math ")}
        db.session.remove()
    return seconds, len(report.new), len(report.refused), counts


def media_main(args) -> int:
    """Issue 12: the first import with and without code and math, in one run (alternating, `--repeat` times)."""
    results: dict[str, list[float]] = {"plain": [], "code and math": []}
    for round_ in range(args.repeat):
        for name, extra in (("plain", ""), ("code and math", MEDIA)):
            tmp = Path(tempfile.mkdtemp(prefix="cw-bench-media-"))
            seconds, new, refused, counts = timed_import(tmp, args.courses, args.modules, extra)
            results[name].append(seconds)
            print(f"round {round_ + 1}, {name:13s}: first import {seconds:6.2f} s ({new} new, {refused} refused; "
                  f"{counts['code blocks']} code blocks, {counts['formulas']} formulas)")
    for name, times in results.items():
        print(f"{name:13s}: best {min(times):6.2f} s, mean {sum(times) / len(times):6.2f} s (target < 10 s)")
    print(f"cost of code and math: {min(results['code and math']) / min(results['plain']):4.2f}x the plain import")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", action="store_true", help="issue 12: import with and without code and math")
    parser.add_argument("--repeat", type=int, default=2, help="with --media: rounds of both imports")
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    args = parser.parse_args()
    if args.media:
        return media_main(args)

    tmp = Path(tempfile.mkdtemp(prefix="cw-bench-"))
    courses_dir = tmp / "courses"
    make_packages(courses_dir, args.courses, args.modules)
    app = build_app(tmp, courses_dir)
    from courseware.content.importer import import_packages
    from courseware.extensions import db
    from courseware.services.accounts import create_user

    with app.app_context():
        db.create_all()
        t0 = time.perf_counter()
        first = import_packages(None)
        db.session.commit()
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = import_packages(None)
        db.session.commit()
        again_s = time.perf_counter() - t0
        from courseware.models import Firm
        from courseware.services.enrolment import enrol

        # Two learners: one who has not enrolled (the page offers enrolment) and one working through the course
        # (the page has the read button, the tasks and a freshly shuffled quiz with a one-time token).
        visitor = create_user(email="bench@example.no", name="Bench", password="bench-password-1", role="learner")
        firm = Firm(orgnr="817920632", name="Bench AS")
        db.session.add(firm)
        db.session.flush()
        learner = create_user(email="laerling@example.no", name="Lærling", password="bench-password-1", role="learner")
        learner.firm_id = firm.id
        from courseware.services.catalogue import get_course

        enrol(learner, get_course("bench-kurs-000"))
        db.session.commit()
        user_ids = {"visitor": visitor.id, "learner": learner.id}
    print(f"first import:      {first_s:7.2f} s  ({len(first.new)} new, {len(first.refused)} refused)")
    print(f"unchanged import:  {again_s:7.2f} s  ({len(again.unchanged)} unchanged)  -> {first_s / again_s:5.1f}x faster")

    import json

    module_path = "/courses/bench-kurs-000/modul-5"
    cookies, sizes = {}, {}
    for name, user_id in user_ids.items():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(user_id)
            sess["_fresh"] = True
        page = client.get(module_path)
        assert page.status_code == 200, page.status_code
        cookies[name] = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        sizes[name] = len(page.data)
    sizes_file = tmp / "sizes.json"
    sizes_file.write_text(json.dumps(sizes))

    port = free_port()
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    server = ctx.Process(target=serve, args=(str(tmp), str(courses_dir), port, str(sizes_file), args.threads, ready),
                         daemon=True)
    server.start()
    ready.wait(30)
    time.sleep(0.5)
    rounds = max(1, int(args.seconds))
    results = {}
    try:
        for name in user_ids:
            cookie = browser_cookie(port, module_path, cookies[name])
            bare_path = f"/bench/bare-{name}"
            load(port, bare_path, cookie, 1, args.clients)  # warm-up
            load(port, module_path, cookie, 1, args.clients)
            # Alternate short windows of both pages, so background load on a shared machine hits both alike.
            bare_rates, module_rates, errors = [], [], 0
            for _ in range(rounds):
                rate, failed = load(port, bare_path, cookie, 1, args.clients)
                bare_rates.append(rate)
                errors += failed
                rate, failed = load(port, module_path, cookie, 1, args.clients)
                module_rates.append(rate)
                errors += failed
            results[name] = (sum(bare_rates) / rounds, sum(module_rates) / rounds, errors)
    finally:
        server.terminate()
    print(f"server:            waitress, {args.threads} threads; {args.clients} keep-alive clients; "
          f"{rounds} alternating 1 s rounds per page")
    labels = {"visitor": "not enrolled", "learner": "enrolled, quiz"}
    for name, (bare_rate, module_rate, errors) in results.items():
        print(f"module page, {labels[name]:14s} {sizes[name]:6d} bytes: {module_rate:6.0f} req/s, "
              f"bare page {bare_rate:6.0f} req/s, ratio {module_rate / bare_rate:4.2f} (target >= 0.5; {errors} errors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
