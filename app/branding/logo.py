"""Checking an uploaded logo by its content and re-encoding it, so only plain pixels are ever stored.

Only PNG and JPEG are taken, told apart by their signatures (never the name or the declared type): SVG can carry
scripts and external references, GIF and the rest are not needed. Dimensions are read from the header before any
pixel is decoded, so a small file that would decompress to a huge image is refused without decoding it. The pixels
are then copied into a fresh image and saved as PNG, which leaves behind every chunk, comment, EXIF block, colour
profile or trailing payload the upload carried."""

import io
import struct
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps

from app.errors import DomainError, Invalid

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 2000
FIELD = "file"
SIGNATURE_PNG = b"\x89PNG\r\n\x1a\n"
SIGNATURES = {SIGNATURE_PNG: "PNG", b"\xff\xd8\xff": "JPEG"}


class LogoTooLarge(DomainError):
    status_code = 413


class LogoTypeRefused(DomainError):
    status_code = 415


@dataclass(frozen=True)
class CleanLogo:
    png: bytes
    width: int
    height: int


def _png_problem(content: bytes) -> str | None:
    """Walk the chunks, checking each CRC, up to IEND. Pillow cannot be asked to: WeasyPrint sets its global
    LOAD_TRUNCATED_IMAGES, under which a cut-off PNG decodes without complaint, padded with black."""
    at = len(SIGNATURE_PNG)
    while at + 12 <= len(content):
        length = struct.unpack(">I", content[at:at + 4])[0]
        kind, data_end = content[at + 4:at + 8], at + 8 + length
        if data_end + 4 > len(content):
            return f"the {kind.decode('latin-1')!r} chunk is cut off"
        if zlib.crc32(content[at + 4:data_end]) & 0xFFFFFFFF != struct.unpack(">I", content[data_end:data_end + 4])[0]:
            return f"the {kind.decode('latin-1')!r} chunk fails its checksum"
        if kind == b"IEND":
            return None
        at = data_end + 4
    return "it ends before its IEND chunk"


def _jpeg_problem(content: bytes) -> str | None:
    scan = content.find(b"\xff\xda")
    if scan < 0 or content.rfind(b"\xff\xd9") < scan:
        return "no image data, or it ends before the end-of-image marker"
    return None


def clean_logo(content: bytes) -> CleanLogo:
    """The logo re-encoded as PNG, or a 4xx naming the `file` field and saying what is wrong."""
    if len(content) > MAX_LOGO_BYTES:
        raise LogoTooLarge(
            f"file: the logo is {len(content) / 1024:.0f} KB; the limit is {MAX_LOGO_BYTES // 1024} KB", field=FIELD
        )
    if not content:
        raise Invalid("file: the logo file is empty", field=FIELD)
    declared = next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)
    if declared is None:
        raise LogoTypeRefused(
            "file: the logo must be a PNG or JPEG image (SVG, GIF and other types are not accepted)", field=FIELD
        )
    problem = _png_problem(content) if declared == "PNG" else _jpeg_problem(content)
    if problem:
        raise Invalid(f"file: the {declared} image is damaged or truncated ({problem})", field=FIELD)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[declared])
            width, height = image.size
            if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
                raise Invalid(
                    f"file: the logo is {width}x{height} pixels; at most {MAX_LOGO_SIDE}x{MAX_LOGO_SIDE} are accepted",
                    field=FIELD,
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
            mode = "RGBA" if upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info else "RGB"
            converted = upright.convert(mode)
            pixels = Image.frombytes(mode, converted.size, converted.tobytes())
    except Invalid:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as error:
        raise Invalid(f"file: the {declared} image is damaged or truncated and cannot be read ({error})"[:300],
                      field=FIELD) from None
    out = io.BytesIO()
    pixels.save(out, "PNG")
    return CleanLogo(png=out.getvalue(), width=pixels.width, height=pixels.height)
