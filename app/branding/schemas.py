"""Branding request and response bodies, and the branding a report snapshot carries."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.text import NO_NUL, NoNul

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class BrandingUpdate(BaseModel):
    name_line: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul, NO_NUL] = Field(
        description='Printed under the logo, e.g. "Department of Pharmacy — St Example Hospital"; may be empty'
    )
    primary_colour: Colour = Field(description="#rrggbb: headings and rules")
    accent_colour: Colour = Field(description="#rrggbb: the kicker and highlights")


class BrandingRead(BaseModel):
    institution_id: str
    name_line: str
    primary_colour: str
    accent_colour: str
    has_logo: bool
    logo_sha256: str | None
    logo_width: int | None
    logo_height: int | None


class ReportBranding(BaseModel):
    """What a report shows of its institution's branding, captured when it is generated: a report verified later
    looks as it did, however the branding has changed since. The logo travels as base64 PNG inside the snapshot."""

    name_line: str
    primary_colour: str
    accent_colour: str
    logo_png_base64: str | None = None
    logo_sha256: str | None = None
