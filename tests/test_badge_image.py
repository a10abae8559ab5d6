"""Open Badges 3.0 baking: the credential goes into an uncompressed iTXt chunk `openbadgecredential` of the PNG and
comes out unchanged; read back here by a PNG chunk parser of the test's own, and by Pillow."""
import json
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from courseware.services.badge_image import NotABakedBadge, bake_png, draw_badge, unbake_png

from .certificate_factory import make_certificate
from .learning_factory import make_course

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Data på gården – «fra fjøs til sky»",
    "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": "Trinn 2: Å bli digital"}},
    "proof": [{"type": "DataIntegrityProof", "proofValue": "z" + "5" * 86}],
}


def read_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """An independent reading of a PNG (ISO/IEC 15948): signature, then length, type, data, CRC over type+data."""
    assert png[:8] == bytes([137, 80, 78, 71, 13, 10, 26, 10])
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack("!L", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack("!L", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, kind
        chunks.append((kind, data))
        pos += 12 + length
    assert pos == len(png)
    return chunks


def parse_itxt(data: bytes) -> dict:
    keyword, rest = data.split(b"\x00", 1)
    flag, method, rest = rest[0], rest[1], rest[2:]
    language, rest = rest.split(b"\x00", 1)
    translated, text = rest.split(b"\x00", 1)
    return {"keyword": keyword.decode("latin-1"), "compressed": flag, "method": method,
            "language": language, "translated": translated, "text": text.decode("utf-8")}


def plain_png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (4, 3), (31, 58, 95)).save(out, "PNG")
    return out.getvalue()


def test_bake_and_unbake_round_trip():
    text = json.dumps(CREDENTIAL, ensure_ascii=False)
    baked = bake_png(plain_png(), text)
    assert unbake_png(baked) == text
    chunks = read_chunks(baked)
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    (itxt,) = [parse_itxt(data) for kind, data in chunks if kind == b"iTXt"]
    assert itxt["keyword"] == "openbadgecredential"
    assert itxt["compressed"] == 0 and itxt["method"] == 0  # Open Badges: compression must not be used
    assert json.loads(itxt["text"]) == CREDENTIAL
    with Image.open(BytesIO(baked)) as image:  # still a picture any viewer shows
        image.load()
        assert image.size == (4, 3)
        assert json.loads(image.text["openbadgecredential"]) == CREDENTIAL


def test_baking_again_replaces_the_credential_and_keeps_the_picture():
    original = plain_png()
    twice = bake_png(bake_png(original, "first"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    assert unbake_png(twice) == "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"  # a compact JWS goes in as it is
    kinds = [kind for kind, _data in read_chunks(twice)]
    assert kinds.count(b"iTXt") == 1
    image_data = [data for kind, data in read_chunks(twice) if kind == b"IDAT"]
    assert image_data == [data for kind, data in read_chunks(original) if kind == b"IDAT"]


@pytest.mark.parametrize("damage", [
    lambda png: b"GIF89a" + png[6:],
    lambda png: png[:-20],
    lambda png: png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],  # a flipped bit: the CRC no longer matches
])
def test_damaged_or_foreign_files_are_refused(damage):
    with pytest.raises(NotABakedBadge):
        unbake_png(damage(bake_png(plain_png(), "x")))


def test_a_png_without_a_credential_says_so():
    with pytest.raises(NotABakedBadge, match="no openbadgecredential"):
        unbake_png(plain_png())


def test_a_compressed_credential_chunk_is_refused():
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"{}")
    chunk = struct.pack("!L", len(data)) + b"iTXt" + data + struct.pack("!L", zlib.crc32(b"iTXt" + data))
    png = plain_png()
    with pytest.raises(NotABakedBadge, match="compressed"):
        unbake_png(png[:-12] + chunk + png[-12:])


def test_badge_picture_is_a_square_png_with_transparency(app, make_user):
    cert = make_certificate(make_user("learner"), make_course("kurs", title="Data på gården – «fra fjøs til sky»"))
    with Image.open(BytesIO(draw_badge(cert))) as image:
        assert image.format == "PNG" and image.size == (600, 600) and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0 and image.getpixel((300, 300))[3] == 255
