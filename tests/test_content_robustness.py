"""A broken package never raises: odd bytes and odd YAML/TOML shapes become problems, not exceptions."""
import random

import pytest

from courseware.content.checker import check_package
from courseware.content.importer import import_packages

MODULE = "modules/02-sensorer.md"

BROKEN = [
    ("course.toml", b""),
    ("course.toml", b"\x00\x01\x02binary\xff"),
    ("course.toml", b"format = 1\ntitle = [1, 2]\nprovider = {a = 1}\nmodules = \"01-intro.md\"\n"),
    ("course.toml", b"format = 1.0\ntitle = 1979-05-27\nprovider = true\ncompletion = 3\ncertificate = \"ja\"\n"),
    ("course.toml", b'format = 1\ntitle = "x"\nprovider = "p"\npartners = "NIBIO"\n'),
    ("course.toml", b'format = 1\ntitle = "x"\nprovider = "p"\n[[partners]]\nname = 3\nurl = 4\nrole = []\n'),
    ("course.toml", b'format = 1\ntitle = "x"\nprovider = "p"\nrequires = [1, "Ugyldig Slug"]\nindustry = 5\n'),
    ("course.toml", b'format = 1\ntitle = "x"\nprovider = "p"\n[certificate]\nenabled = "ja"\nvalid_years = -1\n'),
    ("course.toml", b'format = true\ntitle = "x"\nprovider = "p"\nmodules = [1, 2]\n'),
    (MODULE, b""),
    (MODULE, b"\x89PNG\r\n\x1a\n\x00\x00binary"),
    (MODULE, b"---\n---\n"),
    (MODULE, b"---\n"),
    (MODULE, b"+++\ntitle = \n+++\n"),
    (MODULE, b"---\n- a list\n- not a mapping\n---\n# T\n"),
    (MODULE, b"---\njust a string\n---\n# T\n"),
    (MODULE, b"---\ntitle: T\nquiz: a string\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz: [1, 2]\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz:\n  questions: {prompt: x}\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz:\n  questions: [x, 3, null]\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz:\n  questions:\n    - prompt: [a]\n      correct: {a: 1}\n      wrong: 3\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz:\n  questions:\n    - prompt: P\n      correct: [[a]]\n      wrong: [b]\n---\n"),
    (MODULE, b"---\ntitle: T\nquiz:\n  pass_mark: ja\n  questions:\n    - prompt: P\n      correct: true\n      wrong: [b]\n---\n"),
    (MODULE, b"---\ntitle: {a: 1}\nkey: 5\nminutes: -3\nobjectives: 7\ntasks: [[1]]\n---\n"),
    (MODULE, b"---\na: &a [*a]\n---\n# T\n"),
    (MODULE, b"---\na: &x [1, 2]\nb: [*x, *x, *x]\ntitle: *x\n---\n"),
    (MODULE, b"---\n!!python/object/apply:os.system ['echo hacked']\n---\n"),
    (MODULE, b"---\ntitle: T\ndate: 2024-13-45\n---\n"),
    (MODULE, b"---\n" + b"[" * 900 + b"\n---\n"),
    (MODULE, b"# T\n\n" + b"[x](" * 2000 + b"\n\n" + b"> " * 500 + b"x\n"),
    (MODULE, b"# T\n\n@[video](https://youtube.com/watch?v=" + b"%" * 50 + b")\n[x](http://[::1)\n![y](http://:99999/)\n"),
    ("assets/tom.png", b""),
    ("assets/x.mp3", b"ID3 some audio"),
]


# Odd but acceptable: an MP3 is an MP3. (YAML aliases (24, 25) and Markdown nested past its limits (29) are refused.)
VALID = {32}


@pytest.mark.parametrize("index, rel, content", [(i, *b) for i, b in enumerate(BROKEN)], ids=[f"{i}-{r}" for i, (r, _) in enumerate(BROKEN)])
def test_broken_input_gives_problems_not_exceptions(copy_course, index, rel, content):
    path = copy_course("minimal")
    (path / rel).write_bytes(content)
    data, problems = check_package(path)
    assert not any(p.code == "E190" for p in problems), [str(p) for p in problems]
    if index not in VALID:
        assert data is None and any(p.is_error for p in problems)
    report = import_packages([path])
    assert [i.slug for i in report.refused + report.new] == ["minimal"]


def test_random_byte_flips_never_crash(copy_course):
    path = copy_course("minimal")
    originals = {rel: (path / rel).read_bytes() for rel in ("course.toml", MODULE, "modules/03-veien-videre.md")}
    rng = random.Random(20240601)
    for _ in range(60):
        rel = rng.choice(sorted(originals))
        data = bytearray(originals[rel])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        (path / rel).write_bytes(bytes(data))
        problems = check_package(path)[1]
        assert not any(p.code == "E190" for p in problems), (bytes(data), [str(p) for p in problems])
        (path / rel).write_bytes(originals[rel])
