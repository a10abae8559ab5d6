"""Benchmark: the XLSX export (services/spreadsheet.xlsx_stream) of 300,000 report rows of 8 columns, time and
peak memory, next to a tenth of the rows and to the CSV export (csv_for_excel) at both sizes, in one run.

Each case runs in a fresh subprocess (so one case's memory does not hide in another's): once plain, for the time
and the growth of the process's peak resident set (ru_maxrss after the export minus before it, the rows being
generated lazily), and once under tracemalloc, for the peak of Python allocations. With --openpyxl (needs
openpyxl installed) the same rows are also written with openpyxl's write-only mode, the alternative that was
measured when XlsxWriter was chosen.

    .venv/bin/python bench/xlsx_export.py [--rows 300000] [--openpyxl]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["Org.nr.", "Bedrift", "Kommune", "Næring", "Kurs", "Fullført", "Deltakere", "Timer"]
PLACES = ["Trondheim", "Røros", "Frøya", "Stjørdal", "Orkland", "Oppdal", "Hitra", "Levanger"]


def rows(count: int):
    """`count` report rows made lazily: text (some of it formula-looking), a date, a suppressed or shown count."""
    from courseware.services.suppression import Cell

    start = date(2025, 1, 1)
    for n in range(count):
        name = f"=Bedrift {n}" if n % 97 == 0 else f"Bedrift nr. {n} på Ørland AS"
        people = n % 23
        yield [f"{900000000 + n}", name, PLACES[n % 8], "C", f"Digitalisering trinn {n % 3 + 1}",
               start + timedelta(days=n % 700), Cell(people if people == 0 or people >= 5 else None, 5),
               (n % 40) * 1.5]


def export(kind: str, count: int) -> int:
    """Writes the export to /dev/null, chunk by chunk as a download would; returns the bytes written."""
    from courseware.services import spreadsheet

    size = 0
    with open(os.devnull, "wb") as sink:
        if kind == "xlsx":
            chunks = spreadsheet.xlsx_stream(HEADER, rows(count), sheet_title="Fullføringer",
                                             zone=timezone.utc)
        elif kind == "csv":
            chunks = [spreadsheet.csv_for_excel(HEADER, rows(count)).encode("utf-8")]
        else:
            chunks = openpyxl_stream(count)
        for chunk in chunks:
            size += len(chunk)
            sink.write(chunk)
    return size


def openpyxl_stream(count: int):
    import tempfile

    from openpyxl import Workbook

    from courseware.services.spreadsheet import safe_cell
    from courseware.services.suppression import Cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Fullføringer")
    sheet.append(HEADER)
    for row in rows(count):
        sheet.append([(str(v) if v.value is None else v.value) if isinstance(v, Cell)
                      else safe_cell(v) if isinstance(v, str) else v for v in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(65536):
            yield chunk


def child(kind: str, count: int, trace: bool) -> None:
    import courseware.services.spreadsheet  # noqa: F401  (imports are not the export's cost)
    if kind == "openpyxl":
        import openpyxl  # noqa: F401
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    size = export(kind, count)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rss_growth_kib": after - before, "rss_kib": after,
                      "traced_peak": peak, "bytes": size}))


def run(kind: str, count: int, trace: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(count)] + (["--trace"] if trace else []),
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--openpyxl", action="store_true", help="also time openpyxl's write-only mode")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.trace)
        return 0

    kinds = ["xlsx", "csv"] + (["openpyxl"] if args.openpyxl else [])
    print(f"{'export':<9} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9} {'RSS growth':>11} "
          f"{'traced peak':>12} {'file':>9}")
    for kind in kinds:
        for count in (args.rows // 10, args.rows):
            plain, traced = run(kind, count, False), run(kind, count, True)
            print(f"{kind:<9} {count:>8} {plain['seconds']:>8.2f} {count / plain['seconds']:>9.0f} "
                  f"{plain['rss_kib'] / 1024:>7.1f}MB {plain['rss_growth_kib'] / 1024:>9.1f}MB "
                  f"{traced['traced_peak'] / 2**20:>10.1f}MB {plain['bytes'] / 2**20:>7.1f}MB")
    print("peak RSS: the process's maximum resident set; growth: during the export; traced peak: tracemalloc's peak "
          "of Python allocations during the export (a second run, slower). A flat XLSX export has the same growth "
          "and traced peak at both sizes; the CSV export builds its text in memory, so its memory grows with the rows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
