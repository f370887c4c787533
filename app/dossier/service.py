"""Generate, list, serve, mark as sent and verify manufacturer site dossiers.

A product's site requirements are the program's items that its library's overlay for that product defines (items
whose `applies_to.products` names it): the item rows keep no overlay, so the library definition says which."""

import hashlib
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from app.audit.service import chain_head, record_event
from app.auth.models import User
from app.auth.permissions import require_member
from app.checklists.loader import Catalog
from app.clock import today, utcnow
from app.dossier.archive import INDEX, NotAZip, ZipMember, canonical, check_zip, sha256_of, write_zip
from app.dossier.index import render_index
from app.dossier.models import SiteDossier
from app.dossier.schemas import DossierChanges, DossierRead, DossierVerification, ItemChange
from app.errors import Conflict, Invalid, NotFound
from app.evidence.files import LocalStorage, safe_name
from app.evidence.models import Evidence
from app.programs.models import Institution, Program, ProgramItem
from app.signoffs.models import Revocation, SignOff

FORMAT = "gtready-site-dossier/1"
SYSTEM_AUTHOR = "gtready command line"
SPOOL_BYTES = 16 << 20


def _product_name(catalog: Catalog, program: Program, product: str) -> str:
    """The product's name, after checking the library knows it and the program offers it (422 naming `product`)."""
    library = catalog.get(program.library_id, program.library_version)
    if library is None:
        raise Conflict(f"the program's library {program.library_id} {program.library_version} is not installed")
    definition = library.product(product)
    if definition is None:
        known = ", ".join(p.id for p in library.products)
        raise Invalid(f"'{product}' is not a product of this library (its products: {known})", field="product")
    if product not in program.products:
        offered = ", ".join(program.products) or "none"
        raise Invalid(f"this program does not offer '{product}' (it offers: {offered})", field="product")
    return definition.name


def site_requirement_keys(catalog: Catalog, program: Program, product: str) -> list[str]:
    """The library item ids that the product's overlay defines, in library order."""
    library = catalog.get(program.library_id, program.library_version)
    items = library.items if library else []
    return [i.id for i in items if i.applies_to.products and product in i.applies_to.products]


def _signature(signoff: SignOff | None) -> dict[str, Any] | None:
    if signoff is None:
        return None
    return {"id": str(signoff.id), "signer": signoff.signer_name, "role": signoff.role, "meaning": signoff.meaning,
            "signed_at": signoff.signed_at.isoformat()}


def _unique_path(key: str, name: str, taken: set[str]) -> str:
    stem, dot, suffix = safe_name(name).rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    candidate, n = safe_name(name), 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{suffix}"
    taken.add(candidate.lower())
    return f"evidence/{key}/{candidate}"


@dataclass
class _Requirements:
    items: list[dict[str, Any]]
    files: list[tuple[str, Evidence]]  # zip path and the evidence row


def _requirements(session: Session, program: Program, keys: list[str]) -> _Requirements:
    """Each requirement with its status, standing signature and current evidence, in three queries."""
    rows = session.scalars(
        select(ProgramItem).where(col(ProgramItem.program_id) == program.id, col(ProgramItem.key).in_(keys),
                                  col(ProgramItem.retired).is_(False))
    ).all()
    by_key = {item.key: item for item in rows}
    ids = [item.id for item in rows]
    standing: dict[uuid.UUID, SignOff] = {}
    for signoff in session.scalars(
        select(SignOff)
        .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(SignOff.item_id).in_(ids), col(Revocation.id).is_(None))
        .order_by(col(SignOff.signed_at))
    ).all():
        standing[signoff.item_id] = signoff  # the newest unrevoked signature stands (as signoffs.standing says)
    evidence: dict[uuid.UUID, list[Evidence]] = {}
    on = today()
    for row in session.scalars(
        select(Evidence)
        .where(col(Evidence.program_id) == program.id, col(Evidence.item_id).in_(ids),
               col(Evidence.removed_at).is_(None))
        .order_by(col(Evidence.uploaded_at), col(Evidence.original_name))
    ).all():
        if row.expires_on is None or row.expires_on > on:  # an expired file proves nothing any more
            evidence.setdefault(row.item_id, []).append(row)
    items: list[dict[str, Any]] = []
    files: list[tuple[str, Evidence]] = []
    for key in keys:
        item = by_key.get(key)
        if item is None:
            continue  # not applicable to this program (care role, jurisdiction) or retired
        taken: set[str] = set()
        entries = []
        for row in evidence.get(item.id, []):
            path = _unique_path(item.key, row.original_name, taken)
            files.append((path, row))
            entries.append({"id": str(row.id), "name": row.original_name, "kind": row.kind, "path": path,
                            "size": row.size_bytes, "sha256": row.sha256, "uploaded_at": row.uploaded_at.isoformat(),
                            "expires_on": row.expires_on.isoformat() if row.expires_on else None})
        items.append({"key": item.key, "title": item.title, "area": item.area, "criticality": item.criticality,
                      "status": item.status, "lapses_on": item.lapses_on.isoformat() if item.lapses_on else None,
                      "signature": _signature(standing.get(item.id)), "evidence": entries})
    return _Requirements(items, files)


def _signature_text(signature: dict[str, Any] | None) -> str:
    if not signature:
        return "not signed"
    return f"{signature['signer']} ({signature['role']}), {str(signature['signed_at'])[:10]}"


def changes_between(before: dict[str, Any] | None, after: dict[str, Any]) -> list[ItemChange]:
    """Items whose status or signature changed, and evidence added, removed or replaced, from one manifest to the
    next; items that joined or left the product's requirements are listed too."""
    if before is None:
        return []
    old = {item["key"]: item for item in before.get("items", [])}
    new = {item["key"]: item for item in after.get("items", [])}
    changes: list[ItemChange] = []
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            changes.append(ItemChange(key=key, title=b["title"], change="added"))
            continue
        if b is None or a is None:
            changes.append(ItemChange(key=key, title=(a or {}).get("title", ""), change="removed"))
            continue
        change = ItemChange(key=key, title=b["title"], change="changed")
        if a["status"] != b["status"]:
            change.status_before, change.status_after = a["status"], b["status"]
        if (a["signature"] or {}).get("id") != (b["signature"] or {}).get("id"):
            change.signature_before, change.signature_after = (_signature_text(a["signature"]),
                                                               _signature_text(b["signature"]))
        files_a = {e["name"]: e["sha256"] for e in a["evidence"]}
        files_b = {e["name"]: e["sha256"] for e in b["evidence"]}
        hashes_a, hashes_b = set(files_a.values()), set(files_b.values())
        change.evidence_added = sorted(n for n, h in files_b.items() if n not in files_a and h not in hashes_a)
        change.evidence_removed = sorted(n for n, h in files_a.items() if n not in files_b and h not in hashes_b)
        change.evidence_replaced = sorted(n for n, h in files_b.items() if n in files_a and files_a[n] != h)
        if (change.status_after or change.signature_after or change.evidence_added or change.evidence_removed
                or change.evidence_replaced):
            changes.append(change)
    return changes


def _last_sent(session: Session, program_id: uuid.UUID, product: str) -> SiteDossier | None:
    return session.scalars(
        select(SiteDossier)
        .where(col(SiteDossier.program_id) == program_id, col(SiteDossier.product) == product,
               col(SiteDossier.sent_at).is_not(None))
        .order_by(col(SiteDossier.sent_at).desc())
        .limit(1)
    ).first()


def _next_number(session: Session, year: int) -> str:
    prefix = f"GTD-{year}-"
    last = session.scalar(select(func.max(SiteDossier.number)).where(col(SiteDossier.number).startswith(prefix)))
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


def _members(storage: LocalStorage, manifest: dict[str, Any], rows: dict[str, Evidence]) -> list[ZipMember]:
    members = []
    for item in manifest["items"]:
        for entry in item["evidence"]:
            row = rows.get(entry["id"])
            if row is None:
                raise Conflict(f"{entry['path']}: the evidence record is gone; generate a new dossier")
            members.append(ZipMember(entry["path"], storage.path_of(row.stored_name), entry["size"], entry["sha256"]))
    return members


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (the caller closes it)


def generate_dossier(
    session: Session, catalog: Catalog, storage: LocalStorage, actor: User | None, program: Program, product: str
) -> tuple[SiteDossier, IO[bytes]]:
    """Build the zip (into a spooled file the caller reads and closes) and store its record, audited; a number
    taken by another replica meanwhile is retried."""
    product_name = _product_name(catalog, program, product)
    keys = site_requirement_keys(catalog, program, product)
    institution = session.get(Institution, program.institution_id)
    for _attempt in range(5):
        now = utcnow().replace(microsecond=0)
        number = _next_number(session, now.year)
        requirements = _requirements(session, program, keys)
        previous = _last_sent(session, program.id, product)
        head = chain_head(session)
        manifest: dict[str, Any] = {
            "format": FORMAT, "number": number,
            "program": {"id": str(program.id), "title": program.title,
                        "institution": institution.name if institution else ""},
            "product": {"id": product, "name": product_name},
            "library": {"id": program.library_id, "version": program.library_version},
            "generated_at": now.isoformat(), "generated_by": actor.full_name if actor else SYSTEM_AUTHOR,
            "audit_head": {"seq": head.seq, "hash": head.hash} if head else None,
            "items": requirements.items,
        }
        changes = DossierChanges(
            since=previous.number if previous else None, since_sent_at=previous.sent_at if previous else None,
            items=changes_between(previous.manifest if previous else None, manifest),
        )
        manifest["changes_since_sent"] = changes.model_dump(mode="json")
        index_pdf = render_index(manifest, now, institution.time_zone if institution else "UTC")
        manifest["index_pdf"] = {"path": INDEX, "size": len(index_pdf), "sha256": hashlib.sha256(index_pdf).hexdigest()}
        spool = _spool()
        try:
            rows = {str(row.id): row for _, row in requirements.files}
            write_zip(spool, now, manifest, index_pdf, _members(storage, manifest, rows))
            zip_sha256 = sha256_of(spool)
            dossier = SiteDossier(
                number=number, program_id=program.id, institution_id=program.institution_id, product=product,
                created_at=now, created_by_id=actor.id if actor else None, created_by_name=manifest["generated_by"],
                manifest=manifest, index_pdf=index_pdf, zip_sha256=zip_sha256,
            )
            try:
                session.add(dossier)
                session.flush()
            except IntegrityError:  # another replica took this number a moment ago
                session.rollback()
                spool.close()
                continue
            record_event(
                session, actor, "dossier.generated", entity="dossier", entity_key=number,
                institution_id=program.institution_id, program_id=program.id,
                after={"product": product, "zip_sha256": zip_sha256, "items": len(requirements.items),
                       "evidence_files": len(requirements.files), "changes_since": changes.since,
                       "changed_items": len(changes.items)},
            )
            session.commit()
        except BaseException:
            session.rollback()
            spool.close()
            raise
        spool.seek(0)
        return dossier, spool
    raise Conflict("could not allocate a dossier number; try again")


def dossier_read(dossier: SiteDossier) -> DossierRead:
    manifest = dossier.manifest
    return DossierRead(
        number=dossier.number, program_id=dossier.program_id, product=dossier.product,
        product_name=manifest["product"]["name"], created_at=dossier.created_at,
        created_by_name=dossier.created_by_name, zip_sha256=dossier.zip_sha256, items=len(manifest["items"]),
        evidence_files=sum(len(i["evidence"]) for i in manifest["items"]), sent_at=dossier.sent_at,
        sent_by_name=dossier.sent_by_name,
        changes=DossierChanges.model_validate(manifest.get("changes_since_sent") or {}),
    )


def list_dossiers(session: Session, program_id: uuid.UUID) -> list[DossierRead]:
    """A program's dossiers, newest first."""
    rows = session.scalars(
        select(SiteDossier).options(defer(SiteDossier.index_pdf))  # type: ignore[arg-type]  # no PDFs for a list
        .where(col(SiteDossier.program_id) == program_id)
        .order_by(col(SiteDossier.created_at).desc(), col(SiteDossier.number).desc())
    ).all()
    return [dossier_read(row) for row in rows]


def dossier_by_number(session: Session, number: str) -> SiteDossier:
    dossier = session.scalars(select(SiteDossier).where(col(SiteDossier.number) == number)).first()
    if dossier is None:
        raise NotFound("dossier not found")
    return dossier


def rebuild_zip(session: Session, storage: LocalStorage, dossier: SiteDossier) -> IO[bytes]:
    """The dossier's zip again, byte for byte, from its manifest, index PDF and the evidence files (withdrawn
    files stay on disk). A file changed in storage since is refused, naming it."""
    ids = [uuid.UUID(e["id"]) for item in dossier.manifest["items"] for e in item["evidence"]]
    rows = {str(row.id): row for row in session.scalars(select(Evidence).where(col(Evidence.id).in_(ids))).all()}
    spool = _spool()
    try:
        write_zip(spool, dossier.created_at, dossier.manifest, dossier.index_pdf,
                  _members(storage, dossier.manifest, rows))
        if sha256_of(spool) != dossier.zip_sha256:
            raise Conflict(f"{dossier.number}: the rebuilt zip differs from the one generated")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def record_download(session: Session, actor: User | None, dossier: SiteDossier) -> None:
    record_event(
        session, actor, "dossier.downloaded", entity="dossier", entity_key=dossier.number,
        institution_id=dossier.institution_id, program_id=dossier.program_id, after={"product": dossier.product},
    )
    session.commit()


def mark_sent(session: Session, actor: User, dossier: SiteDossier) -> SiteDossier:
    """Record that this dossier went to the manufacturer: the next one lists what changed since."""
    if dossier.sent_at is not None:
        raise Conflict(f"{dossier.number} was already marked as sent on {dossier.sent_at:%Y-%m-%d}")
    dossier.sent_at, dossier.sent_by_id, dossier.sent_by_name = utcnow(), actor.id, actor.full_name
    session.add(dossier)
    record_event(
        session, actor, "dossier.sent", entity="dossier", entity_key=dossier.number,
        institution_id=dossier.institution_id, program_id=dossier.program_id,
        after={"product": dossier.product, "zip_sha256": dossier.zip_sha256},
    )
    session.commit()
    return dossier


def verify_zip(
    session: Session, source: BinaryIO, *, max_unpacked: int, viewer: User | None = None
) -> DossierVerification:
    """Every file against the zip's manifest, and the manifest against the stored record. A `viewer` outside the
    dossier's institution learns only whether the zip they hold is genuine, nothing the zip does not say."""
    try:
        check = check_zip(source, max_unpacked)
    except NotAZip as error:
        raise Invalid(f"file: {error}", field="file") from None
    problems = list(check.problems)
    manifest = check.manifest
    if manifest is None:
        return DossierVerification(matches=False, problems=problems)
    number = str(manifest.get("number"))
    stored = None
    if re.fullmatch(r"GTD-\d{4}-\d{6}", number):  # anything else (NUL, 10 kB) is no number of ours: not queried
        stored = session.scalars(select(SiteDossier).where(col(SiteDossier.number) == number)).first()
    if stored is not None and viewer is not None:
        try:
            require_member(session, viewer, stored.institution_id, what="dossier")
        except NotFound:
            stored = stored if canonical(stored.manifest) == canonical(manifest) else None
    if stored is None:
        problems.append(f"manifest.json: no stored dossier matches {number[:40]!r}")
        return DossierVerification(matches=False, files_checked=check.files_checked, problems=problems)
    if canonical(stored.manifest) != canonical(manifest):
        problems.append(f"manifest.json: differs from the stored record of {stored.number}")
    return DossierVerification(
        matches=not problems, number=stored.number, program=stored.manifest["program"]["title"],
        product=stored.manifest["product"]["name"], generated_at=stored.created_at,
        generated_by=stored.created_by_name, files_checked=check.files_checked,
        zip_sha256_matches=sha256_of(source) == stored.zip_sha256, problems=problems,
    )


def verify_file(session: Session, path: Path, viewer: User | None = None) -> DossierVerification:
    with path.open("rb") as source:
        return verify_zip(session, source, max_unpacked=1 << 40, viewer=viewer)
