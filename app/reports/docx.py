"""A stored report as an editable Word document (python-docx), made from the same snapshot as its PDF.

The PDF stays the record of truth; the document says so on its first page and in its properties. It is laid out
from the snapshot's fields, not per report kind: the sections every report has (areas, items, blockers, the
sign-off register, the evidence index, the projection, model results), then whatever else the snapshot carries
(a committee packet's section, or any field added later) as generic tables, so a new kind comes out complete.
A draft carries a diagonal DRAFT watermark in its page header (the VML shape Word itself uses for watermarks)
and says DRAFT under its title."""

import base64
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import parse_xml
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from pydantic import BaseModel

from app.formatting import format_date, format_datetime
from app.reports.models import Report
from app.reports.schemas import (
    CapacitySection,
    ReimbursementSection,
    ReportArea,
    ReportData,
    ReportProjection,
)
from app.web.templating import STATUS_LABELS, percent, role_label

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RECORD_OF_TRUTH = (
    "The PDF of this report is the record of truth. This Word document is an editable copy made from the same "
    "stored snapshot, for annotating; changes made to it are not part of the report and do not verify."
)
# Fields laid out by name below; any other field of the snapshot is laid out generically after them.
LAID_OUT = {
    "number", "kind", "generated_at", "prepared_for", "prepared_by", "institution", "program_id", "program_title",
    "products", "care_role", "library", "overall_ratio", "areas", "gate_open", "blocking", "overdue", "lapsed",
    "top_risks", "changes", "signoff_register", "evidence", "reimbursement", "capacity", "audit_head",
    "jurisdiction", "product_notices", "overdue_reviews", "unreadable_scenarios", "projection", "branding",
    "time_zone",  # not shown: every time is written in it
}
WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
<v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/>
<v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>
<v:f eqn="sum @6 0 @5"/></v:formulas><v:path textpathok="t" o:connecttype="custom"
o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>
<v:textpath on="t" fitshape="t"/><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="PowerPlusWaterMarkObject" o:spid="_x0000_s2049" type="#_x0000_t136" alt="DRAFT"
style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:140pt;rotation:315;z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
fillcolor="#a3261b" stroked="f"><v:fill opacity=".18"/>
<v:textpath style="font-family:&quot;Calibri&quot;;font-size:1pt" string="DRAFT"/></v:shape></w:pict></w:r>"""
KIND_TITLES = {"full": "Readiness report", "executive": "Executive summary"}


def _colour(value: str | None, default: str) -> RGBColor:
    text = value if value and len(value) == 7 and value.startswith("#") else default
    try:
        return RGBColor.from_string(text[1:].upper())
    except ValueError:
        return RGBColor.from_string(default[1:].upper())


def _text(value: Any, time_zone: str | None = None) -> str:
    """A snapshot value as a reader wants it in a cell; times in the snapshot's time zone, as the PDF shows them."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return format_datetime(value, time_zone)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, time_zone) for v in value) or "—"
    if isinstance(value, BaseModel):
        return "; ".join(f"{_label(k)}: {_text(v, time_zone)}" for k, v in value)
    return str(value)


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


class _Writer:
    def __init__(self, data: ReportData, data_sha256: str, *, draft: bool, finalised: tuple[str, datetime] | None,
                 base_url: str) -> None:
        self.data, self.data_sha256, self.draft, self.finalised = data, data_sha256, draft, finalised
        self.base_url = base_url.rstrip("/")
        self.time_zone = data.time_zone or "UTC"  # the institution's, captured in the snapshot like the PDF's
        self.doc: DocumentObject = Document()
        brand = data.branding
        self.primary = _colour(brand.primary_colour if brand else None, "#174a6d")
        self.accent = _colour(brand.accent_colour if brand else None, "#1f5f8b")

    # ---- building blocks
    def when(self, value: datetime | date | None) -> str:
        return format_datetime(value, self.time_zone)

    def day(self, value: date | None) -> str:
        return format_date(value, self.time_zone)

    def heading(self, text: str, level: int = 1) -> None:
        paragraph = self.doc.add_heading(text, level)
        for run in paragraph.runs:
            run.font.color.rgb = self.primary

    def para(self, text: str = "", *, bold_lead: str = "", style: str | None = None, size: float | None = None
             ) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=style)
        if bold_lead:
            paragraph.add_run(bold_lead).bold = True
        run = paragraph.add_run(text)
        if size:
            run.font.size = Pt(size)
        return paragraph

    def bullets(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.doc.add_paragraph(line, style="List Bullet")

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float] | None = None
              ) -> None:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, title in zip(table.rows[0].cells, header, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(title)
            run.bold = True
            run.font.size = Pt(8.5)
        # the header row repeats on every page the table runs onto
        table.rows[0]._tr.get_or_add_trPr().append(parse_xml(
            '<w:tblHeader xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'))
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(_text(value, self.time_zone)).font.size = Pt(8.5)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=False):
                    cell.width = Cm(width)
        self.doc.add_paragraph()

    def pairs(self, rows: Iterable[tuple[str, Any]]) -> None:
        self.table(["", ""], rows, widths=(5.5, 11))

    # ---- the document
    def write(self) -> bytes:
        self._styles()
        self._header()
        self._front()
        self._summary()
        self._areas()
        self._models()
        self._rest()
        self._registers()
        self._verification()
        self._properties()
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = "Calibri"
        normal.font.size = Pt(10)
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.59), Cm(27.94)  # Letter, like the PDF
        section.left_margin = section.right_margin = Cm(1.8)
        section.top_margin = section.bottom_margin = Cm(2)

    def _header(self) -> None:
        header = self.doc.sections[0].header
        paragraph = header.paragraphs[0]
        brand = self.data.branding
        if brand and brand.logo_png_base64:
            paragraph.add_run().add_picture(io.BytesIO(base64.b64decode(brand.logo_png_base64)), height=Cm(1.3))
            paragraph.add_run("  ")
        name = paragraph.add_run(brand.name_line or self.data.institution if brand else self.data.institution)
        name.bold = True
        name.font.color.rgb = self.accent
        tail = paragraph.add_run(f"    {self.data.number}{' · DRAFT' if self.draft else ''}")
        tail.font.size = Pt(8)
        if self.draft:
            paragraph._p.append(parse_xml(WATERMARK))
        footer = self.doc.sections[0].footer.paragraphs[0]
        footer.add_run(f"Report {self.data.number} · data SHA-256 {self.data_sha256} · editable copy; "
                       "the PDF is the record of truth").font.size = Pt(7)

    def _front(self) -> None:
        data = self.data
        title = data.packet.title if data.packet else data.program_title
        self.doc.add_heading(title, 0)
        kind = data.packet.audience if data.packet else KIND_TITLES.get(data.kind.value, data.kind.value)
        subtitle = f"{kind} · {data.program_title} · {data.institution}" if data.packet else \
            f"{kind} · {data.institution}"
        self.para(subtitle)
        if self.draft:
            state = self.para("not yet marked final by a program champion; its content may still change.",
                              bold_lead="DRAFT · ")
            state.runs[0].font.color.rgb = RGBColor(0xA3, 0x26, 0x1B)
        elif self.finalised:
            self.para(f"marked final by {self.finalised[0]} on {self.when(self.finalised[1])}.", bold_lead="Final · ")
        note = self.para(RECORD_OF_TRUTH, bold_lead="Editable copy. ")
        note.paragraph_format.space_after = Pt(8)
        care = "Hub: dosing centre" if data.care_role == "hub" else "Spoke: follow-up centre"
        facts: list[tuple[str, Any]] = [("Products", data.products), ("Role in the care network", care)]
        if data.jurisdiction:
            facts.append(("Jurisdiction", data.jurisdiction))
        facts += [("Checklist library", data.library), ("Report date", data.generated_at),
                  ("Report number", data.number), ("Prepared for", data.prepared_for),
                  ("Prepared by", data.prepared_by)]
        self.pairs(facts)
        if data.packet and data.packet.cover_text:
            self.para(data.packet.cover_text)

    def _projection(self, p: ReportProjection) -> str:
        if p.gate_open:
            return "First-patient gate open: every applicable blocker is signed off."
        if p.projected_date:
            line = f"Projected first-patient date: {self.day(p.projected_date)}"
            if p.target:
                slip = (f", slipped {p.slip_days} day{'' if p.slip_days == 1 else 's'} because of {p.moved_by} "
                        f"{p.moved_by_title}" if p.slip_days else ", on time")
                return f"{line}, target {self.day(p.target)}{slip}."
            return f"{line} (no target set)."
        return f"Projected first-patient date: unknown: no due date on {', '.join(p.unknown_because)}."

    def _summary(self) -> None:
        data = self.data
        self.heading("Summary")
        if data.projection:
            self.para(self._projection(data.projection), bold_lead="First patient. ")
        self.para(f"{percent(data.overall_ratio)} ({data.overdue} overdue, {data.lapsed} lapsed).",
                  bold_lead="Overall readiness: ")
        self.para("OPEN: every applicable blocker is signed off and current." if data.gate_open else
                  f"CLOSED: {len(data.blocking)} blocker{'' if len(data.blocking) == 1 else 's'} not yet signed off.",
                  bold_lead="First-patient gate: ")
        if data.blocking:
            self.heading("Blockers", 2)
            self.table(["Item", "Title", "Area", "Why it blocks"],
                       [(b.key, b.title, b.area, b.reason) for b in data.blocking], widths=(2.2, 6, 3.5, 5))
        self.heading("Readiness by area", 2)
        self.table(["Area", "Ready", "Weighted completion", "Overdue", "Lapsed"],
                   [(a.title, percent(a.ratio), f"{a.completed_weight} of {a.total_weight}", a.overdue, a.lapsed)
                    for a in data.areas], widths=(6.5, 2, 3.5, 2, 2))
        self.heading("Top risks", 2)
        if data.top_risks:
            self.bullets(f"{risk.severity.upper()}: {risk.text}" for risk in data.top_risks)
        else:
            self.para("No open risks: every item is complete and current.")
        changes = data.changes
        self.heading("Since the previous report", 2)
        if changes.previous_number:
            delta = "—" if changes.overall_delta is None else f"{round(changes.overall_delta * 100):+d} points"
            self.para(f"Compared with {changes.previous_number} of {self.when(changes.previous_date)}: "
                      f"overall readiness {delta}; {len(changes.newly_signed)} newly signed off.")
            self.bullets(changes.newly_signed)
        else:
            self.para("This is the first readiness report of this program.")
        notices = [*data.product_notices, *data.overdue_reviews]
        if notices:
            self.heading("Notices", 2)
            self.bullets(notices)

    def _area(self, area: ReportArea) -> None:
        self.heading(f"{area.title} — {percent(area.ratio)} ready", 2)
        rows = []
        for item in area.items:
            flags = [f for f, on in (("blocker", item.criticality == "blocker"), ("overdue", item.overdue),
                                     ("lapsed", item.lapsed)) if on]
            title = item.title + (f" [{', '.join(flags)}]" if flags else "") + (f"\n{item.notes}" if item.notes else "")
            signature = (f"{item.signature.signer_name}, {role_label(item.signature.role)} "
                         f"({item.signature.meaning.replace('_', ' ')}, {self.when(item.signature.signed_at)})"
                         if item.signature else None)
            rows.append((item.key, title, STATUS_LABELS.get(item.status, item.status), item.owner_name,
                         item.due_date, signature))
        self.table(["Item", "Title", "Status", "Owner", "Due", "Sign-off"], rows, widths=(1.9, 5.6, 2.2, 2.4, 2, 3.9))

    def _areas(self) -> None:
        if self.data.kind.value == "executive" or not any(area.items for area in self.data.areas):
            return
        self.heading("Items by area")
        for area in self.data.areas:
            self._area(area)

    def _models(self) -> None:
        data = self.data
        if data.reimbursement:
            self._reimbursement(data.reimbursement)
        if data.capacity:
            self._capacity(data.capacity)
        for unreadable in data.unreadable_scenarios:
            self.para(f"the latest scenario, “{unreadable.scenario}”, is invalid and cannot be run "
                      f"({unreadable.problem}).", bold_lead=f"{_label(unreadable.kind)}: ")

    def _reimbursement(self, r: ReimbursementSection) -> None:
        money = "${:,.0f}".format
        self.heading(f"Payer reimbursement exposure: {r.scenario}")
        self.pairs([("Risk level", r.risk_level), ("Patients per year", r.patients),
                    ("Expected loss per patient", money(r.expected_loss_per_patient)),
                    ("Expected loss per year", money(r.expected_loss_per_year)),
                    ("Loss: mean / median", f"{money(r.loss_mean)} / {money(r.loss_median)}"),
                    ("Loss: 90th / 95th percentile", f"{money(r.loss_p90)} / {money(r.loss_p95)}"),
                    ("Loss as a share of cost", percent(r.loss_share_of_cost)),
                    ("Peak cash outstanding", f"{money(r.peak_cash_outstanding)} in month {r.peak_cash_month}"),
                    ("Peak cash outstanding, worst case", money(r.peak_cash_outstanding_worst_case))])
        self.heading("Assumptions", 3)
        self.table(["Assumption", "Value"], [(a.label, a.value) for a in r.assumptions], widths=(9, 7.5))
        self.para(r.method, size=8.5)

    def _capacity(self, c: CapacitySection) -> None:
        self.heading(f"15-year follow-up capacity: {c.scenario}")
        self.pairs([("Capacity holds", c.capacity_holds), ("First shortfall year", c.first_shortfall_year),
                    ("Extra visit slots needed", c.extra_visit_slots_needed),
                    ("Extra coordinator FTE needed", c.extra_coordinator_fte_needed),
                    ("Extra lab capacity needed", c.extra_lab_capacity_needed)])
        self.table(["Year", "Patients", "Visits needed", "Visit slots"],
                   [(year, f"{patients:g}", f"{visits:g}", slots) for year, patients, visits, slots in c.years])
        self.heading("Assumptions", 3)
        self.table(["Assumption", "Value"], [(a.label, a.value) for a in c.assumptions], widths=(9, 7.5))
        self.para(c.method, size=8.5)

    def _rest(self) -> None:
        """Every snapshot field not laid out above (a committee packet, anything added later), by its fields."""
        for name in type(self.data).model_fields:
            value = getattr(self.data, name)
            if name in LAID_OUT or value is None or value == []:
                continue
            title = getattr(value, "title", None) if isinstance(value, BaseModel) else None  # str has .title()
            self.heading(title if isinstance(title, str) and title else _label(name))
            self._generic(value)

    def _generic(self, value: Any) -> None:
        if isinstance(value, BaseModel):
            scalars = [(k, v) for k, v in value if not _is_rows(v) and not isinstance(v, BaseModel)]
            if scalars:
                self.pairs((_label(k), v) for k, v in scalars)
            for key, nested in value:
                if _is_rows(nested) or isinstance(nested, BaseModel):
                    self.heading(_label(key), 2)
                    self._generic(nested)
        elif _is_rows(value):
            fields = list(type(value[0]).model_fields)
            self.table([_label(f) for f in fields], [[getattr(row, f) for f in fields] for row in value])
        elif isinstance(value, list):
            self.bullets(_text(v, self.time_zone) for v in value)
        else:
            self.para(_text(value, self.time_zone))

    def _registers(self) -> None:
        data = self.data
        self.heading("Sign-off register")
        if data.signoff_register:
            self.table(["Item", "Signer", "Role", "Meaning", "Statement", "Signed"],
                       [(e.item_key, e.signer_name, role_label(e.role), e.meaning.replace("_", " "),
                         e.statement + (f"\nRevoked {e.revoked}" if e.revoked else ""), e.signed_at)
                        for e in data.signoff_register], widths=(1.9, 2.8, 2.4, 2, 5.4, 3.5))
        else:
            self.para("No item has been signed off yet.")
        if data.kind.value == "executive":
            return
        self.heading("Evidence index")
        if data.evidence:
            self.table(["Item", "File", "Kind", "SHA-256", "Uploaded by", "Expires"],
                       [(e.item_key, e.file, e.kind.replace("_", " "), e.sha256,
                         f"{e.uploaded_by}, {self.when(e.uploaded_at)}", e.expires_on) for e in data.evidence],
                       widths=(1.9, 3.5, 2.2, 4.6, 2.8, 2))
        else:
            self.para("No evidence has been attached yet.")

    def _verification(self) -> None:
        data = self.data
        self.heading("Verification")
        api = f"{self.base_url}/api/reports/verify?{urlencode({'number': data.number})}"
        by_hash = f"{self.base_url}/api/reports/verify?{urlencode({'data_sha256': self.data_sha256})}"
        rows: list[tuple[str, Any]] = [
            ("Report number", data.number), ("Data SHA-256", self.data_sha256),
            ("Verify by number (members of the institution)", api), ("Verify by hash (anyone signed in)", by_hash),
            ("Verify in the app (number, hash or the PDF file)", f"{self.base_url}/verify?"
                                                                 f"{urlencode({'q': data.number})}"),
            ("Verify from a terminal", f'curl -H "Authorization: Bearer $GTREADY_TOKEN" "{by_hash}"'),
        ]
        if data.audit_head:
            rows.append(("Audit trail head when generated", f"{data.audit_head.seq}:{data.audit_head.hash}"))
        final = f"Final, marked by {self.finalised[0]} on {self.when(self.finalised[1])}" if self.finalised else "—"
        rows.append(("Status", "DRAFT" if self.draft else final))
        self.pairs(rows)
        self.para(RECORD_OF_TRUTH + " The data SHA-256 identifies the stored snapshot both were made from.",
                  bold_lead="Record of truth. ")

    def _properties(self) -> None:
        data, props = self.data, self.doc.core_properties
        props.title = f"{data.packet.title if data.packet else data.program_title} — {data.number}"
        props.subject = f"{data.institution}: {data.program_title}"
        props.author = data.prepared_by
        props.category = "DRAFT" if self.draft else "Final"
        props.keywords = f"gtready; {data.number}; data SHA-256 {self.data_sha256}"
        props.comments = RECORD_OF_TRUTH
        props.created = props.modified = data.generated_at.replace(tzinfo=None)
        props.last_modified_by = "gtready"
        props.revision = 1


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, BaseModel) for v in value) and \
        len({type(v) for v in value}) == 1


def render_docx(
    data: ReportData, data_sha256: str, *, draft: bool = True, finalised: tuple[str, datetime] | None = None,
    base_url: str = "http://localhost:8000",
) -> bytes:
    """The report as a .docx: watermarked DRAFT unless `draft` is false; `finalised` (who, when) says so."""
    return _Writer(data, data_sha256, draft=draft, finalised=finalised, base_url=base_url).write()


def docx_for(report: Report, base_url: str) -> bytes:
    """A stored report (app.reports.models.Report) as a .docx, draft or final as it stands."""
    data = ReportData.model_validate(report.data)
    final = (report.finalised_by_name or "", report.finalised_at) if report.finalised_at else None
    return render_docx(data, report.data_sha256, draft=final is None, finalised=final, base_url=base_url)
