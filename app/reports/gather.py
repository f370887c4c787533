"""Collect what a report says from the database, in a constant number of queries, into `ReportData`.

All judgement (what is a risk, what changed) happens here, so templates only lay out finished facts."""

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.service import chain_head
from app.checklists.loader import Catalog
from app.checklists.schema import JURISDICTION_LABELS
from app.errors import Conflict
from app.evidence.service import program_evidence
from app.formatting import format_date
from app.institution_libraries.catalog import institution_catalog
from app.packets.schema import SectionKind
from app.packets.service import awaits_committee, effective_definition, in_scope
from app.pagination import PageParams
from app.programs.models import ItemStatus, Program
from app.programs.projection import plan_items_of, project
from app.programs.readiness import readiness
from app.programs.schemas import ItemFilters, ItemRead, Readiness
from app.programs.service import get_institution, list_items, overdue_review_notices, product_status_notices
from app.reports.institution_programs import institution_programs_section
from app.reports.models import Report
from app.reports.planning_sections import planning_sections
from app.reports.schemas import (
    DecisionRequested,
    EvidenceEntry,
    PacketSection,
    RegisterEntry,
    ReportArea,
    ReportBlocker,
    ReportChanges,
    ReportData,
    ReportItem,
    ReportKind,
    ReportProjection,
    ReportRisk,
    ReportSignature,
)
from app.signoffs.schemas import SignOffRead
from app.signoffs.service import signoff_records

EVERY_ITEM = PageParams(limit=1_000_000, offset=0)


def data_hash(data: ReportData) -> str:
    """SHA-256 of the snapshot's canonical JSON: what the PDF footer and the verification endpoint show."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _register_role(record: SignOffRead) -> str:
    """An approval chain's step says which step, and for a committee on whose behalf and at which meeting."""
    if record.step is None:
        return record.role
    steps = len(record.item_snapshot.get("approval_chain") or [])
    who = (f"on behalf of the {record.on_behalf_of_committee}, meeting of {record.meeting_date}"
           if record.on_behalf_of_committee else record.role.replace("_", " "))
    return f"step {record.step} of {steps}: {who}"


def _standing_signatures(records: list[SignOffRead]) -> dict[str, ReportSignature]:
    signatures: dict[str, ReportSignature] = {}
    for record in records:  # newest first: the first unrevoked one stands
        if record.revocation is None and record.item_key not in signatures:
            signatures[record.item_key] = ReportSignature(
                signer_name=record.signer_name, role=record.role, meaning=record.meaning.value,
                signed_at=record.signed_at,
            )
    return signatures


def _area_sections(
    summary: Readiness, items: list[ItemRead], signatures: dict[str, ReportSignature]
) -> list[ReportArea]:
    by_area: dict[str, list[ReportItem]] = {}
    for item in items:
        signature = signatures.get(item.key) if item.status == ItemStatus.SIGNED_OFF else None
        by_area.setdefault(item.area, []).append(
            ReportItem(
                key=item.key, title=item.title, criticality=item.criticality, status=item.status,
                owner_name=item.owner_name, due_date=item.due_date, overdue=item.overdue, lapsed=item.lapsed,
                lapses_on=item.lapses_on, notes=item.notes, signature=signature, local=item.local,
            )
        )
    return [
        ReportArea(
            id=area.id, title=area.title, ratio=area.ratio, completed_weight=area.completed_weight,
            total_weight=area.total_weight, overdue=area.overdue, lapsed=area.lapsed, items=by_area.get(area.id, []),
        )
        for area in summary.areas
    ]


def _top_risks(summary: Readiness, areas: list[ReportArea]) -> list[ReportRisk]:
    risks = []
    if not summary.gate.open:
        plural = "s keep" if len(summary.gate.blocking) != 1 else " keeps"
        risks.append(ReportRisk(severity="high", text=f"{len(summary.gate.blocking)} blocker{plural} the "
                                "first-patient gate closed."))
    if summary.lapsed:
        risks.append(ReportRisk(severity="high", text=f"{summary.lapsed} signed-off item(s) have lapsed and need "
                                "renewal."))
    if summary.overdue:
        risks.append(ReportRisk(severity="moderate", text=f"{summary.overdue} item(s) are past their due date."))
    for area in sorted(areas, key=lambda a: a.ratio):
        if area.ratio < 0.5 and len(risks) < 6:
            risks.append(ReportRisk(severity="moderate", text=f"{area.title} is {area.ratio:.0%} ready."))
    unowned = sum(1 for a in areas for i in a.items if i.owner_name is None and i.status != ItemStatus.SIGNED_OFF)
    if unowned:
        risks.append(ReportRisk(severity="moderate", text=f"{unowned} open item(s) have no owner."))
    return risks


def _changes(previous: Report | None, summary: Readiness, signed_now: dict[str, str]) -> ReportChanges:
    if previous is None:
        return ReportChanges(previous_number=None, previous_date=None, newly_signed=[], overall_delta=None,
                             area_deltas={})
    # Read only what is compared, so snapshots written by older versions stay comparable.
    before_areas = previous.data.get("areas", [])
    signed_before = {
        i["key"] for a in before_areas for i in a.get("items", []) if i.get("status") == ItemStatus.SIGNED_OFF
    }
    ratios_before = {a["id"]: float(a.get("ratio", 0.0)) for a in before_areas}
    return ReportChanges(
        previous_number=previous.number,
        previous_date=previous.created_at,
        newly_signed=[f"{key} {title}" for key, title in signed_now.items() if key not in signed_before],
        overall_delta=round(summary.overall_ratio - float(previous.data.get("overall_ratio", 0.0)), 4),
        area_deltas={a.id: round(a.ratio - ratios_before.get(a.id, 0.0), 4) for a in summary.areas},
    )


def _projection(program: Program, items: list[ItemRead], on: date) -> ReportProjection | None:
    """From the items the report already loaded: no query of its own. Stored items forming a dependency cycle
    leave the line out rather than the whole report."""
    try:
        plan = project(program.id, plan_items_of(items), on, program.first_patient_target)
    except Conflict:
        return None
    titles = {item.key: item.title for item in items}
    return ReportProjection(
        gate_open=plan.gate_open, projected_date=plan.projected_date, target=plan.target, slip_days=plan.slip_days,
        moved_by=plan.moved_by, moved_by_title=titles.get(plan.moved_by) if plan.moved_by else None,
        unknown_because=[r.key for r in plan.reasons],
    )


def _packet_scope(
    session: Session, program: Program, kind: ReportKind, items: list[ItemRead], area_titles: dict[str, str]
) -> tuple[PacketSection, set[str]]:
    """The packet's definition in force for the program's institution, what it asks and which item keys it covers."""
    effective = effective_definition(session, program.institution_id, kind.value)
    definition = effective.definition
    included = [i for i in items if in_scope(definition, i.key, i.area, i.criticality, i.signoff_role,
                                             i.evidence_kinds)]
    area_ids = {i.area for i in included}
    section = PacketSection(
        kind=kind.value, title=definition.title, audience=definition.audience, cover_text=definition.cover_text,
        definition_number=effective.number, signoff_roles=list(definition.signoff_roles),
        decisions=list(definition.decisions),
        decisions_requested=[
            DecisionRequested(key=i.key, title=i.title, area=area_titles.get(i.area, i.area), status=i.status,
                              signoff_role=i.signoff_role, owner_name=i.owner_name, due_date=i.due_date)
            for i in included
            if awaits_committee(definition, i.status, i.signoff_role)
        ],
        included_items=len(included),
        areas_included=[title for area_id, title in area_titles.items() if area_id in area_ids],
        evidence_included=definition.evidence,
        models=[name for name, wanted in (("reimbursement", definition.models.reimbursement),
                                          ("capacity", definition.models.capacity)) if wanted],
        sections=[section.value for section in definition.sections],
    )
    return section, {i.key for i in included}


def gather(
    session: Session,
    catalog: Catalog,
    program: Program,
    *,
    number: str,
    kind: ReportKind,
    prepared_for: str,
    prepared_by: str,
    now: datetime,
) -> ReportData:
    """Everything the report prints, as of `now`."""
    institution = get_institution(session, program.institution_id)
    summary = readiness(session, program.id)
    items, _ = list_items(session, program.id, ItemFilters(), EVERY_ITEM)
    records = signoff_records(session, program.id)
    evidence = program_evidence(session, program.id)
    earlier = select(Report).where(col(Report.program_id) == program.id)
    if kind.is_packet:  # a packet tells its committee what changed since its previous packet, over the same scope
        earlier = earlier.where(col(Report.kind) == kind.value)
    previous = session.scalars(earlier.order_by(col(Report.created_at).desc()).limit(1)).first()
    own = institution_catalog(session, catalog, program.institution_id, program.library_id)  # with its own uploads
    library = own.get(program.library_id, program.library_version)
    names = {p.id: p.name for p in library.products} if library else {}
    titles = {item.key: item.title for item in items}
    areas = _area_sections(summary, items, _standing_signatures(records))
    signed_now = {i.key: i.title for a in areas for i in a.items if i.status == ItemStatus.SIGNED_OFF}
    reimbursement, capacity, unreadable_scenarios = planning_sections(session, program.id)
    register = [r for r in records if r.item_key in titles]
    evidence_entries = list(evidence)
    packet = None
    if kind.is_packet:
        packet, keys = _packet_scope(session, program, kind, items, {a.id: a.title for a in summary.areas})
        areas = [a.model_copy(update={"items": [i for i in a.items if i.key in keys]}) for a in areas]
        areas = [a for a in areas if a.items]
        register = [r for r in register if r.item_key in keys]
        evidence_entries = [e for e in evidence_entries if e.item_key in keys] if packet.evidence_included else []
        reimbursement = reimbursement if "reimbursement" in packet.models else None
        capacity = capacity if "capacity" in packet.models else None
        unreadable_scenarios = [u for u in unreadable_scenarios if u.kind in packet.models]
    # A full report shows the institution's other programs; a packet when its definition asks for them.
    side_by_side = (kind == ReportKind.FULL
                    or (packet is not None and SectionKind.INSTITUTION_PROGRAMS.value in packet.sections))
    return ReportData(
        institution_programs=(institution_programs_section(session, catalog, program.institution_id)
                              if side_by_side else None),
        packet=packet,
        reimbursement=reimbursement,
        capacity=capacity,
        audit_head=chain_head(session),
        unreadable_scenarios=unreadable_scenarios,
        projection=_projection(program, items, now.date()),
        number=number,
        kind=kind,
        generated_at=now,
        prepared_for=prepared_for,
        prepared_by=prepared_by,
        institution=institution.name,
        time_zone=None if institution.time_zone == "UTC" else institution.time_zone,
        program_id=program.id,
        program_title=program.title,
        products=[names.get(p, p) for p in program.products],
        care_role=program.care_role,
        jurisdiction=JURISDICTION_LABELS.get(program.jurisdiction, program.jurisdiction),
        product_notices=product_status_notices(catalog, program),
        overdue_reviews=overdue_review_notices(catalog, program),
        library=f"{program.library_id} {program.library_version}",
        overall_ratio=summary.overall_ratio,
        areas=areas,
        gate_open=summary.gate.open,
        blocking=[ReportBlocker(key=b.key, title=b.title, area=b.area, reason=b.reason) for b in summary.gate.blocking],
        overdue=summary.overdue,
        lapsed=summary.lapsed,
        top_risks=_top_risks(summary, areas),
        changes=_changes(previous, summary, signed_now),
        signoff_register=[
            RegisterEntry(
                item_key=r.item_key, signer_name=r.signer_name, role=_register_role(r), meaning=r.meaning.value,
                statement=r.statement, signed_at=r.signed_at,
                revoked=(f"by {r.revocation.revoked_by_name} on "
                         f"{format_date(r.revocation.revoked_at, institution.time_zone)}: "
                         f"{r.revocation.reason}") if r.revocation else None,
            )
            for r in register
        ],
        evidence=[
            EvidenceEntry(item_key=e.item_key, file=e.original_name, kind=e.kind, sha256=e.sha256,
                          uploaded_by=e.uploaded_by_name, uploaded_at=e.uploaded_at, expires_on=e.expires_on)
            for e in evidence_entries
        ],
    )
