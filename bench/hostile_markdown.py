"""Hostile Markdown at the module size cap: what the pre-check refuses, and how long the rest takes to render.

    python bench/hostile_markdown.py [--kib 128] [--only NAME ...] [--unchecked]

Each shape repeats one pathological pattern (or nests it, half the cap deep) (nested brackets, `<a ` runs, nested quotes and lists, ...) up to
the cap (MAX_MODULE_KB). For each it prints the pre-check's verdict and its time, then renders what the pre-check
lets through without the CPU budget and prints that time: the worst case an import can meet. A shape that is
refused is also rendered at a sixteenth of the cap where the pre-check lets that through. With --unchecked every
shape is rendered without the pre-check (use a small --kib: that is the cost the pre-check keeps away). Not part
of the test run (see bench/README.md).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from courseware.content import precheck  # noqa: E402
from courseware.content.render import Refused, render_module  # noqa: E402


def _nested(depth_unit: str, line: str, levels: int) -> str:
    return "\n".join(depth_unit * (i % levels) + line for i in range(100000))


SHAPES = {
    # the shapes of the issue
    "nested brackets": lambda c: "[" * (c // 2) + "x" + "]" * (c // 2),
    "open brackets": lambda c: "[" * 140000,
    "link openers": lambda c: "[x](" * 40000,
    "<a runs": lambda c: "<a " * 50000,
    "<a href=' runs": lambda c: "<a href='" * 20000,
    "<a across paragraphs": lambda c: "<a\n\n" * 40000,
    "nested spans": lambda c: "*_" * (c // 4) + "x" + "_*" * (c // 4),
    "em runs": lambda c: "*a" * 70000,
    "nested quotes": lambda c: ">" * 140000 + " x",
    "nested quotes, spaced": lambda c: "> " * 70000 + "x",
    "quotes at the limit": lambda c: "\n".join(">" * 16 + " x" for _ in range(7000)),
    "nested lists": lambda c: _nested("    ", "- x", 400),
    "lists at the limit": lambda c: _nested("    ", "- x", 16),
    "inline lists": lambda c: "- " * 60000 + "x",
    "mixed containers at the limit": lambda c: "\n".join("> - " * 8 + "x" for _ in range(4000)),
    "deflists at the limit": lambda c: "\n".join(": " * 16 + "x" for _ in range(4000)),
    "admonitions at the limit": lambda c: "\n".join("    " * i + "!!! note" for i in range(16)) * 300,
    # raw HTML
    "nested divs": lambda c: "<div>" * 26000,
    "div lines": lambda c: "<div>\n" * 22000,
    "divs at the limit": lambda c: ("<div>" * 32 + "x" + "</div>" * 32 + "\n\n") * 350,
    "closed div lines": lambda c: "<div>x</div>\n" * 10000,
    "cdata": lambda c: "<![CDATA[" * 14000,
    "comments across paragraphs": lambda c: "<!--\n\n" * 20000,
    "end tags": lambda c: "</a" * 40000,
    # code spans
    "unmatched backtick runs": lambda c: "``" + "`a" * 65000,
    "growing backtick runs": lambda c: "".join("`" * (i % 50 + 1) + "a" for i in range(5000)),
    # repetition the renderer multiplies
    "equal headings": lambda c: "# h\n\n" * 25000,
    "toc markers": lambda c: "# a\n\n" * 2000 + "[TOC]\n\n" * 15000,
    "abbreviations": lambda c: "\n".join(f"*[A{i}]: x" for i in range(3000)) + "\n\n" + "A1 " * 10000,
    "abbreviations at the limit": lambda c: "\n".join(f"*[A{i}]: x" for i in range(100)) + "\n\n" + "A1 b " * 24000,
    "footnote references": lambda c: "[^1]" * 30000 + "\n\n[^1]: x\n",
    "videos": lambda c: "@[video](https://youtu.be/aaaaaaaaaaa)\n" * 3300,
    # code, math and image attributes (issue 12)
    "formulas in one paragraph": lambda c: "$x^2$ " * 22000,
    "formulas in paragraphs": lambda c: ("$x_1^2 + \\frac{a}{b}$ og $5 eller $10 " * 20 + "\n\n") * 160,
    "display formulas": lambda c: "$$\n\\frac{a}{b} + \\sqrt{x}\n$$\n\n" * 4500,
    "long formulas": lambda c: ("$" + "a+" * 1500 + "b$\n\n") * 40,
    "open \\( runs": lambda c: "\\(x " * 32000,
    "highlighted code blocks": lambda c: "```python\nx = [i * 2 for i in range(3)]  # ok\n```\n\n" * 2200,
    "image attributes": lambda c: "![x](../assets/a.png){alt='A' width=600 class=x onclick=y}\n\n" * 2000,
    # ordinary content, a lot of it
    "one long paragraph of mixed markup": lambda c: "a *b* _c_ `d` [e](http://f) <b>g</b> &amp; " * 3000,
    "mixed markup in paragraphs": lambda c: ("a *b* _c_ `d` [e](http://f) <b>g</b> &amp; " * 20 + "\n\n") * 150,
    "links in one paragraph": lambda c: "[link](x)" * 14000,
    "long table": lambda c: "|a|b|\n|-|-|\n" + "|*x*|[y](http://a)|\n" * 7000,
    "wide table": lambda c: "|a" * 20000 + "\n" + "|-" * 20000 + "\n" + "|b" * 20000,
    "task list": lambda c: "- [ ] a\n" * 16000,
    "plain text": lambda c: "Ord i en vanlig setning om sensorer i fjøset. " * 2800,
}


def run_unchecked(name: str, make, cap: int) -> None:
    text = make(cap)[:cap]
    started = time.perf_counter()
    try:
        render_module(text, module_links={}, asset_paths=set(), budget=None)
        outcome = "rendered"
    except RecursionError:
        outcome = "RecursionError"
    print(f"{name:36} {len(text):>7} B  {time.perf_counter() - started:7.2f} s  {outcome} without the pre-check",
          flush=True)


def run(name: str, make, cap: int) -> None:
    text = make(cap)[:cap]
    started = time.perf_counter()
    refusal = precheck.check_markdown(text)
    checked = time.perf_counter() - started
    if refusal is None:
        verdict = "rendered"
        started = time.perf_counter()
        try:
            render_module(text, module_links={}, asset_paths=set(), budget=None)
        except Refused as error:  # the HTML nesting counted after Markdown
            verdict = f"refused after Markdown: {error.refusal.kind}"
        seconds = f"{time.perf_counter() - started:7.2f} s"
    else:
        verdict = f"refused: {refusal.kind} (line {refusal.line})"
        small = text[: cap // 16]
        started = time.perf_counter()
        try:
            render_module(small, module_links={}, asset_paths=set(), budget=None)
            seconds = f"{time.perf_counter() - started:7.2f} s for 1/16"
        except Refused:
            seconds = "        (1/16 refused too)"
    print(f"{name:36} {len(text):>7} B  pre-check {checked * 1000:6.1f} ms  {seconds}  {verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kib", type=int, default=128, help="the module size cap (MAX_MODULE_KB)")
    parser.add_argument("--only", nargs="*", help="shape names to run")
    parser.add_argument("--unchecked", action="store_true", help="render without the pre-check")
    args = parser.parse_args()
    if args.unchecked:
        precheck.check_markdown = lambda text: None
        precheck.html_nesting = lambda lines, skip_code=False: None
    for name, make in SHAPES.items():
        if not args.only or name in args.only:
            (run_unchecked if args.unchecked else run)(name, make, args.kib * 1024)


if __name__ == "__main__":
    main()
