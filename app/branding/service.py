"""Set, read and clear an institution's report branding; every change audited in its own transaction."""

import base64
import hashlib
import uuid

from sqlmodel import Session

from app.audit.service import record_event
from app.auth.models import User
from app.branding.logo import clean_logo
from app.branding.models import DEFAULT_ACCENT, DEFAULT_PRIMARY, InstitutionBranding
from app.branding.schemas import BrandingRead, BrandingUpdate, ReportBranding
from app.clock import utcnow
from app.errors import NotFound


def get_branding(session: Session, institution_id: uuid.UUID) -> InstitutionBranding | None:
    return session.get(InstitutionBranding, institution_id)


def branding_read(session: Session, institution_id: uuid.UUID) -> BrandingRead:
    """The branding as set, or the defaults when nothing was set."""
    row = get_branding(session, institution_id)
    return BrandingRead(
        institution_id=str(institution_id), name_line=row.name_line if row else "",
        primary_colour=row.primary_colour if row else DEFAULT_PRIMARY,
        accent_colour=row.accent_colour if row else DEFAULT_ACCENT,
        has_logo=bool(row and row.logo_png), logo_sha256=row.logo_sha256 if row else None,
        logo_width=row.logo_width if row else None, logo_height=row.logo_height if row else None,
    )


def _row_for_change(session: Session, actor: User | None, institution_id: uuid.UUID) -> InstitutionBranding:
    row = get_branding(session, institution_id)
    row = row or InstitutionBranding(institution_id=institution_id, updated_at=utcnow())
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    return row


def _texts(row: InstitutionBranding | None) -> dict[str, str]:
    if row is None:
        return {}
    return {"name_line": row.name_line, "primary_colour": row.primary_colour, "accent_colour": row.accent_colour}


def update_branding(
    session: Session, actor: User | None, institution_id: uuid.UUID, data: BrandingUpdate
) -> BrandingRead:
    """Set the name line and colours (the logo is set on its own)."""
    before = _texts(get_branding(session, institution_id))
    row = _row_for_change(session, actor, institution_id)
    row.name_line = data.name_line
    row.primary_colour = data.primary_colour.lower()
    row.accent_colour = data.accent_colour.lower()
    session.add(row)
    record_event(session, actor, "branding.updated", entity="institution_branding", entity_key=str(institution_id),
                 institution_id=institution_id, before=before or None, after=_texts(row))
    session.commit()
    return branding_read(session, institution_id)


def set_logo(session: Session, actor: User | None, institution_id: uuid.UUID, content: bytes) -> BrandingRead:
    """Check the upload by content, re-encode it to PNG and store only that."""
    logo = clean_logo(content)
    row = _row_for_change(session, actor, institution_id)
    before = {"logo_sha256": row.logo_sha256} if row.logo_sha256 else None
    row.logo_png = logo.png
    row.logo_sha256 = hashlib.sha256(logo.png).hexdigest()
    row.logo_width, row.logo_height = logo.width, logo.height
    session.add(row)
    record_event(session, actor, "branding.logo_set", entity="institution_branding", entity_key=str(institution_id),
                 institution_id=institution_id, before=before,
                 after={"logo_sha256": row.logo_sha256, "width": logo.width, "height": logo.height,
                        "uploaded_bytes": len(content)})
    session.commit()
    return branding_read(session, institution_id)


def delete_logo(session: Session, actor: User | None, institution_id: uuid.UUID) -> None:
    row = get_branding(session, institution_id)
    if row is None or row.logo_png is None:
        raise NotFound("this institution has no logo")
    before = {"logo_sha256": row.logo_sha256}
    row.logo_png = row.logo_sha256 = row.logo_width = row.logo_height = None
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    session.add(row)
    record_event(session, actor, "branding.logo_removed", entity="institution_branding",
                 entity_key=str(institution_id), institution_id=institution_id, before=before)
    session.commit()


def report_branding(session: Session, institution_id: uuid.UUID) -> ReportBranding | None:
    """The branding a report generated now captures into its snapshot; None when the institution set none."""
    row = get_branding(session, institution_id)
    if row is None:
        return None
    return ReportBranding(
        name_line=row.name_line, primary_colour=row.primary_colour, accent_colour=row.accent_colour,
        logo_png_base64=base64.b64encode(row.logo_png).decode() if row.logo_png else None,
        logo_sha256=row.logo_sha256,
    )


def logo_data_uri(session: Session, institution_id: uuid.UUID) -> str | None:
    """The stored (re-encoded) logo as a data: URI for the administration page's preview."""
    row = get_branding(session, institution_id)
    if row is None or row.logo_png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(row.logo_png).decode()
