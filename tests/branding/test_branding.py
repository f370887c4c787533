"""Institution branding: administrators only, logos checked by content and re-encoded, reports capture it."""

import io
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.branding.models import InstitutionBranding
from tests.conftest import Team

NAME_LINE = "Department of Pharmacy — Riverside University Hospital"


def png(width: int = 120, height: int = 60, colour: tuple[int, int, int] = (23, 74, 109), **info: str) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    out = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    image.save(out, "PNG", pnginfo=meta)
    return out.getvalue()


def jpeg(width: int = 80, height: int = 80) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", exif=exif, comment=b"payload comment")
    return out.getvalue()


def huge_dimensions_png(width: int = 30000, height: int = 30000) -> bytes:
    """A few hundred bytes whose header claims an image far beyond the limit (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 16)  # only a few rows: the header is what matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def branding_url(team: Team, path: str = "") -> str:
    return f"/api/institutions/{team.institution.id}/branding{path}"


def put_logo(client: TestClient, team: Team, content: bytes, name: str = "logo.png",
             media: str = "image/png") -> "object":
    return client.put(branding_url(team, "/logo"), files={"file": (name, content, media)})


def stored(session: Session, team: Team) -> InstitutionBranding | None:
    session.expire_all()
    return session.get(InstitutionBranding, team.institution.id)


def test_administrator_sets_name_line_and_colours_audited(session: Session, team: Team) -> None:
    admin = team.clients["administrator"]
    assert admin.get(branding_url(team)).json()["has_logo"] is False
    body = {"name_line": NAME_LINE, "primary_colour": "#0A3D62", "accent_colour": "#e17055"}
    response = admin.put(branding_url(team), json=body)
    assert response.status_code == 200, response.text
    assert response.json()["primary_colour"] == "#0a3d62" and response.json()["name_line"] == NAME_LINE
    assert admin.get(branding_url(team)).json()["accent_colour"] == "#e17055"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("branding.%"))).all()
    assert actions == ["branding.updated"]


@pytest.mark.parametrize("field,value", [
    ("primary_colour", "red"), ("primary_colour", "#abc"), ("accent_colour", "#12345g"),
    ("accent_colour", "#123456; background:url(x)"), ("name_line", "a\x00b"), ("name_line", "x" * 201),
])
def test_bad_colours_and_name_lines_are_refused_naming_the_field(team: Team, field: str, value: str) -> None:
    body = {"name_line": NAME_LINE, "primary_colour": "#0a3d62", "accent_colour": "#e17055", field: value}
    response = team.clients["administrator"].put(branding_url(team), json=body)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_only_administrators_set_branding(team: Team) -> None:
    body = {"name_line": NAME_LINE, "primary_colour": "#0a3d62", "accent_colour": "#e17055"}
    for role in ("champion", "viewer", "pharmacy_lead"):
        client = team.clients[role]
        assert client.put(branding_url(team), json=body).status_code == 403
        assert client.get(branding_url(team)).status_code == 403
        assert put_logo(client, team, png()).status_code == 403  # type: ignore[attr-defined]
        assert client.delete(branding_url(team, "/logo")).status_code == 403


def test_other_institutions_get_404(team: Team, outsider: TestClient) -> None:
    body = {"name_line": "hijack", "primary_colour": "#000000", "accent_colour": "#000000"}
    assert outsider.get(branding_url(team)).status_code == 404
    assert outsider.put(branding_url(team), json=body).status_code == 404
    assert put_logo(outsider, team, png()).status_code == 404  # type: ignore[attr-defined]
    assert outsider.delete(branding_url(team, "/logo")).status_code == 404


def test_logo_is_reencoded_to_png_without_metadata(session: Session, team: Team) -> None:
    admin = team.clients["administrator"]
    response = put_logo(admin, team, png(Comment="tracking-id-123", Author="someone"))  # type: ignore[assignment]
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    row = stored(session, team)
    assert row is not None and row.logo_png is not None
    assert b"tracking-id-123" not in row.logo_png and b"tEXt" not in row.logo_png
    assert (row.logo_width, row.logo_height) == (120, 60)
    response = put_logo(admin, team, jpeg(), name="logo.jpg", media="image/jpeg")  # type: ignore[assignment]
    assert response.status_code == 200  # type: ignore[attr-defined]
    row = stored(session, team)
    assert row is not None and row.logo_png is not None and row.logo_png.startswith(b"\x89PNG")
    assert b"secret description" not in row.logo_png and b"payload comment" not in row.logo_png
    assert Image.open(io.BytesIO(row.logo_png)).size == (80, 80)
    assert admin.delete(branding_url(team, "/logo")).status_code == 204
    assert stored(session, team).logo_png is None  # type: ignore[union-attr]
    assert admin.delete(branding_url(team, "/logo")).status_code == 404
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("branding.%"))).all()
    assert actions == ["branding.logo_set", "branding.logo_set", "branding.logo_removed"]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 0)).save(out, "GIF")
    return out.getvalue()


GIF = gif()


@pytest.mark.parametrize("name,content,media,status", [
    ("logo.svg", SVG, "image/svg+xml", 415),
    ("logo.png", SVG, "image/png", 415),  # SVG renamed
    ("logo.gif", GIF, "image/gif", 415),
    ("logo.png", b"just some text, honestly a PNG\n", "image/png", 415),
    ("logo.png", huge_dimensions_png(), "image/png", 422),
    ("logo.png", png(2001, 10), "image/png", 422),
    ("logo.png", png(400, 300)[:200], "image/png", 422),  # truncated
    ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 600 * 1024, "image/png", 413),  # 600 KB
    ("logo.png", b"", "image/png", 422),
])
def test_bad_logos_are_refused_naming_the_field_and_nothing_is_stored(
    session: Session, team: Team, name: str, content: bytes, media: str, status: int
) -> None:
    response = put_logo(team.clients["administrator"], team, content, name, media)
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert "file" in response.text  # type: ignore[attr-defined]
    assert stored(session, team) is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action.like("branding.%"))).all() == []


def test_reports_show_the_branding_captured_when_generated(session: Session, team: Team) -> None:
    admin = team.clients["administrator"]
    admin.put(branding_url(team), json={"name_line": NAME_LINE, "primary_colour": "#0a3d62",
                                        "accent_colour": "#e17055"})
    assert put_logo(admin, team, png(300, 100)).status_code == 200  # type: ignore[attr-defined]
    first = admin.post(team.url("/reports"), json={"kind": "executive"}).json()
    pdf = admin.get(f"/api/reports/{first['number']}/pdf").content
    reader = PdfReader(io.BytesIO(pdf))
    assert NAME_LINE in " ".join(reader.pages[0].extract_text().split())
    images = list(reader.pages[0].images)
    assert images and images[0].image is not None and images[0].image.size == (300, 100)
    # Branding changed later: the stored report and its verification stay as they were
    admin.put(branding_url(team), json={"name_line": "Another line", "primary_colour": "#000000",
                                        "accent_colour": "#000000"})
    admin.delete(branding_url(team, "/logo"))
    assert admin.get(f"/api/reports/{first['number']}/pdf").content == pdf
    verified = admin.get("/api/reports/verify", params={"number": first["number"]}).json()
    assert verified["matches"] is True
    second = admin.post(team.url("/reports"), json={"kind": "executive"}).json()
    later = PdfReader(io.BytesIO(admin.get(f"/api/reports/{second['number']}/pdf").content))
    assert "Another line" in later.pages[0].extract_text() and list(later.pages[0].images) == []
