"""Benchmark: how many certificates per second the app renders, PDF included, beside a baseline in the same run.

For one learner's certificate (Norwegian letters, a signer, a QR code) it times, --rounds times each and in turn:

- html:  the certificate template rendered to HTML only (the baseline: what any page of the app costs);
- pdf:   the same HTML rendered to the PDF people download (WeasyPrint, with the QR code);
- firm:  a firm's certificate PDF;
- badge: the badge picture drawn with Pillow and the credential baked in;
- route: GET /me/certificates/<code>.pdf through the app (login, the access check's query, the PDF, the response),
         on SQLite in a temporary folder.

Prints the median and the 90th percentile per item and items per second (from the median).

    .venv/bin/python bench/certificates.py [--rounds 40]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, rounds: int) -> list[float]:
    fn()  # warm up: templates, fonts, font subsetting tables
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    from courseware import create_app
    from courseware.extensions import db
    from courseware.services import badge_image, certificate_pdf
    from tests.certificate_factory import make_certificate, make_firm_certificate
    from tests.learning_factory import make_course, make_firm

    folder = Path(tempfile.mkdtemp(prefix="bench-certificates-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "COURSES_DIR": str(folder), "MEDIA_DIR": str(folder / "media"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        from courseware.services.accounts import create_user
        from courseware.services.logins import start_login

        course = make_course("digital-gard", title="Data på gården – «fra fjøs til sky»")
        user = create_user(email="ase@example.no", name="Åse Ødegård Bjørnæs", password="Bench-passord-1",
                           verified=True)
        db.session.commit()
        cert = make_certificate(user, course, language="nb", stage=2)
        firm_cert = make_firm_certificate(make_firm(), course)
        start_login(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        code = cert.code

        def route():
            response = client.get(f"/me/certificates/{code}.pdf")
            assert response.status_code == 200, response.status_code

        items = {
            "html (baseline)": lambda: certificate_pdf.certificate_html(cert),
            "pdf": lambda: certificate_pdf.render_certificate_pdf(cert),
            "firm pdf": lambda: certificate_pdf.render_firm_certificate_pdf(firm_cert, "nb"),
            "badge png, baked": lambda: badge_image.baked_badge(cert, {"name": "x" * 2000}),
            "route /me/certificates/<code>.pdf": route,
        }
        sizes = {"pdf": len(certificate_pdf.render_certificate_pdf(cert)),
                 "badge png, baked": len(badge_image.baked_badge(cert, {"name": "x" * 2000}))}
        results = {name: timed(fn, args.rounds) for name, fn in items.items()}

    print(f"{args.rounds} rounds each\n")
    print(f"{'':36} {'median ms':>10} {'p90 ms':>8} {'per second':>11} {'size':>9}")
    for name, times in results.items():
        median = statistics.median(times)
        size = f"{sizes[name] / 1024:.1f} KiB" if name in sizes else ""
        print(f"{name:36} {median * 1000:10.1f} {p90(times) * 1000:8.1f} {1 / median:11.1f} {size:>9}")
    baseline, pdf = statistics.median(results["html (baseline)"]), statistics.median(results["pdf"])
    print(f"\nthe PDF costs {pdf / baseline:.0f}x the HTML alone")


if __name__ == "__main__":
    main()
