"""How fast Open Badges credentials are signed and verified on this machine, beside a bare Ed25519 signature of
the same bytes (the difference is JSON-LD canonicalisation, RDFC-1.0 in pure Python).

    .venv/bin/python bench/credentials.py [--certificates 200] [--rounds 3]

Builds a throw-away instance (SQLite and a signing key in a temporary folder) with one course and N certificates,
then times each operation call by call and prints the median and 90th percentile per call, and what that means
per second on one core. Nothing here is part of the test run.
"""
import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build(root: Path, count: int):
    from courseware import create_app
    from courseware.extensions import db
    from courseware.models import Certificate, Course, CourseVersion, Provider

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
                      "SIGNING_KEYS_DIR": str(root / "keys"), "MEDIA_DIR": str(root / "media"),
                      "COURSES_DIR": str(root), "BASE_URL": "https://kurs.example.no"})
    context = app.app_context()
    context.push()
    db.create_all()
    provider = Provider(slug="eksempel-naeringshage", name="Eksempel Næringshage")
    db.session.add(provider)
    db.session.flush()
    course = Course(slug="digital-drift", provider_id=provider.id)
    db.session.add(course)
    db.session.flush()
    version = CourseVersion(course_id=course.id, number=3, source_hash="x", title="Digital drift i landbruket – Trinn 1",
                            summary="", language="nb", outline=[])
    db.session.add(version)
    db.session.flush()
    issued = datetime(2026, 5, 4, 10, 30, tzinfo=timezone.utc)
    for n in range(count):
        salt = f"{n:016x}"
        db.session.add(Certificate(
            code=f"B{n:011d}", course_id=course.id, version_id=version.id, provider_id=provider.id,
            learner_name=f"Deltaker Nummer {n}", course_slug=course.slug, course_title=version.title,
            version_number=3, provider_slug=provider.slug, provider_name=provider.name, minutes=95, language="nb",
            issued_at=issued + timedelta(minutes=n), valid_until=issued + timedelta(days=3 * 365),
            recipient_salt=salt,
            recipient_hash="sha256$" + hashlib.sha256(f"person{n}@example.no{salt}".encode()).hexdigest(),
            status_index=n))
    db.session.commit()
    return app, db.session.execute(db.select(Certificate).order_by(Certificate.id)).scalars().all()


def timed(calls) -> list[float]:
    """Seconds per call, call by call."""
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float], baseline: list[float] | None = None) -> None:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    ratio = f"  {median / statistics.median(baseline):7.0f}× the bare signature" if baseline else ""
    print(f"{label:52} {median * 1000:8.3f} ms {p90 * 1000:8.3f} ms {1 / median:9.0f}/s {1 / p90:9.0f}/s{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, certs = build(Path(tmp), args.certificates)
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        from courseware.services import badges
        from courseware.services.badges import credentials, jsonld, status

        key = badges.keyring().current
        public = Ed25519PublicKey.from_public_bytes(key.public_key)
        documents = [badges.credential_for(cert) for cert in certs]  # warm: contexts parsed, caches filled
        texts = [json.dumps(doc, sort_keys=True).encode() for doc in documents]
        signatures = [key.sign(text) for text in texts]
        resolve = badges.local_resolver()
        print(f"{len(certs)} certificates, {args.rounds} rounds; per call: median, p90; per second: median, p90\n")
        rounds = []
        for _ in range(args.rounds):
            bare_sign = timed([lambda t=t: key.sign(t) for t in texts])
            bare_verify = timed([lambda s=s, t=t: public.verify(s, t) for s, t in zip(signatures, texts)])
            canon = timed([lambda d=d: jsonld.canonicalize({k: v for k, v in d.items() if k != "proof"})
                           for d in documents])

            def uncached(cert):
                credentials._proof.cache_clear()
                badges.credential_for(cert)

            signed = timed([lambda c=c: uncached(c) for c in certs])
            for cert in certs:  # fill the cache, as a second request for a certificate finds it
                badges.credential_for(cert)
            cached = timed([lambda c=c: badges.credential_for(c) for c in certs])
            verified = timed([lambda d=d: badges.verify_credential(d, resolve) for d in documents])

            def list_uncached():
                status._signed_list.cache_clear()
                badges.status_list_credential("eksempel-naeringshage", 0)

            lists = timed([list_uncached for _ in range(50)])
            rounds.append((bare_sign, bare_verify, canon, signed, cached, verified, lists))
        merged = [sum((round_[i] for round_ in rounds), []) for i in range(7)]
        bare_sign, bare_verify, canon, signed, cached, verified, lists = merged
        print(f"{'operation':52} {'median':>11} {'p90':>11} {'median':>11} {'p90':>11}")
        report("bare Ed25519 signature of the credential's bytes", bare_sign)
        report("bare Ed25519 verification of the same bytes", bare_verify)
        report("canonicalise one credential (RDFC-1.0)", canon, bare_sign)
        report("credential_for, signed anew", signed, bare_sign)
        report("credential_for, signature from the cache", cached, bare_sign)
        report("verify_credential (proof, status list cached)", verified, bare_verify)
        report("status list signed anew (131,072 bits)", lists, bare_sign)


if __name__ == "__main__":
    main()
