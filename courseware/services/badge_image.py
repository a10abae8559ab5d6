"""The badge picture of a certificate, and Open Badges 3.0 "baking": the signed credential carried inside the PNG.

A baked PNG holds the credential in an uncompressed `iTXt` chunk with the keyword `openbadgecredential` (OB 3.0,
Badge Baking), so a wallet or a verifier can read it from the picture alone. The picture is drawn with Pillow in
the certificate's language; the credential comes from the badges engineer's services.badges.credential_for.
"""
import io
import json
import struct
import textwrap
import zlib
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from PIL import Image, ImageDraw, ImageFont

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
SIZE = 600  # pixels, square; wallets show badges at 100-300 px
NAVY, GOLD, WHITE = (31, 58, 95), (168, 132, 44), (255, 255, 255)


class NotABakedBadge(ValueError):
    """The bytes are no PNG, or carry no Open Badges credential."""


# --- Baking -------------------------------------------------------------------------------------------------------

def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG, each CRC checked; NotABakedBadge for anything that is not a whole PNG."""
    if not png.startswith(PNG_SIGNATURE):
        raise NotABakedBadge("not a PNG file")
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        if offset + 12 > len(png):
            raise NotABakedBadge("truncated PNG chunk")
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length] or b"\0\0\0\0")
        if len(data) != length or zlib.crc32(kind + data) != crc:
            raise NotABakedBadge(f"damaged {kind!r} chunk")
        chunks.append((kind, data))
        offset += 12 + length
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise NotABakedBadge("a PNG must start with IHDR and end with IEND")
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _is_credential(kind: bytes, data: bytes) -> bool:
    return kind == b"iTXt" and data.split(b"\0", 1)[0] == KEYWORD


def bake_png(png_bytes: bytes, credential_json: str) -> bytes:
    """The PNG with the credential (JSON or a compact JWS) in an uncompressed iTXt chunk, replacing any earlier one."""
    # iTXt: keyword NUL, compression flag 0 and method 0, empty language tag NUL, empty translated keyword NUL, text.
    itxt = _chunk(b"iTXt", KEYWORD + b"\0\0\0" + b"\0" + b"\0" + credential_json.encode("utf-8"))
    kept = [(kind, data) for kind, data in png_chunks(png_bytes) if not _is_credential(kind, data)]
    body = b"".join(_chunk(kind, data) for kind, data in kept[:-1])  # everything but IEND
    return PNG_SIGNATURE + body + itxt + _chunk(b"IEND", b"")


def unbake_png(png: bytes) -> str:
    """The credential baked into a PNG (as bake_png wrote it); NotABakedBadge when there is none."""
    for kind, data in png_chunks(png):
        if _is_credential(kind, data):
            rest = data[len(KEYWORD) + 1:]
            if rest[:1] != b"\0":
                raise NotABakedBadge("the credential chunk is compressed, which Open Badges forbids")
            _language, _translated, text = rest[2:].split(b"\0", 2)
            return text.decode("utf-8")
    raise NotABakedBadge("no openbadgecredential chunk")


def credential_text(credential) -> str:
    """What goes into the chunk: a compact JWS as it is, a credential (dict) as compact UTF-8 JSON."""
    if isinstance(credential, str):
        return credential
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


# --- The picture ----------------------------------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _font(size: int, bold: bool = True):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)  # Pillow finds it under /usr/share/fonts (fonts-dejavu-core)
    except OSError:  # pragma: no cover - a machine without DejaVu: Pillow's own scalable font
        return ImageFont.load_default(size)


def _centred(draw, y: int, text: str, font, fill) -> int:
    """Draw one line centred at height y; the y below it."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((SIZE - (right - left)) / 2 - left, y - top), text, font=font, fill=fill)
    return y + (bottom - top)


def _title_lines(draw, title: str) -> tuple[list[str], object]:
    """The course title wrapped to fit the medal's face, in the largest size (of a few) that fits in four lines."""
    for size, width in ((40, 18), (34, 22), (28, 26), (24, 30)):
        font = _font(size)
        lines = textwrap.wrap(title, width) or [""]
        if len(lines) <= 4 and all(draw.textlength(line, font=font) <= SIZE * 0.7 for line in lines):
            return lines, font
    lines = textwrap.wrap(title, 30)
    return lines[:3] + ([textwrap.shorten(" ".join(lines[3:]), 28, placeholder=" …")] if len(lines) > 3 else []), font


def draw_badge(cert) -> bytes:
    """The certificate's badge as a PNG: a medal with the course title, its stage, the year and the provider."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=GOLD)
    draw.ellipse((26, 26, SIZE - 26, SIZE - 26), fill=NAVY)
    draw.ellipse((44, 44, SIZE - 44, SIZE - 44), outline=GOLD, width=3)
    with force_locale(cert.language or "nb"):
        stage = _("Stage %(n)s", n=cert.stage)
        year = str(to_user_timezone(cert.issued_at).year)
    y = _centred(draw, 120, textwrap.shorten(cert.provider_name.upper(), 34, placeholder=" …"), _font(20), GOLD)
    lines, font = _title_lines(draw, cert.course_title)
    line_height = font.size + 10
    y = max(y + 30, 300 - line_height * len(lines) // 2)
    for line in lines:
        _centred(draw, y, line, font, WHITE)
        y += line_height
    draw.line((SIZE / 2 - 60, y + 14, SIZE / 2 + 60, y + 14), fill=GOLD, width=3)
    _centred(draw, y + 36, f"{stage} · {year}", _font(26, bold=False), WHITE)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def baked_badge(cert, credential) -> bytes:
    """The certificate's badge picture with its signed credential baked in."""
    return bake_png(draw_badge(cert), credential_text(credential))
