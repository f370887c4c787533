"""Each packet kind, generated for a program on the real library and read back from its PDF."""

import io
import re

import pytest
from pypdf import PdfReader

from app.packets.service import PACKAGED_DIR, parse_definition
from app.reports.schemas import ReportKind
from tests.conftest import Team
from tests.signoffs.test_signoff_rules import attach, mark_done, sign


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def generate(team: Team, kind: str) -> dict[str, object]:
    response = team.clients["champion"].post(team.url("/reports"), json={"kind": kind, "prepared_for": "Committee"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def signed(team: Team, key: str, evidence: str, role: str) -> None:
    attach(team, key, evidence)
    response = sign(team.clients[role], team, key, mark_done(team, key))
    assert response.status_code == 201, response.text


# kind -> (title, text that must be in it, area headings that must not, item titles that must not)
EXPECTED = {
    "pt-committee": ("Pharmacy and Therapeutics committee packet",
                     ["Pharmacy handling", "Formulary approval by the Pharmacy and Therapeutics committee",
                      "Add each offered gene therapy to the formulary"],
                     ["Payer reimbursement risk", "15-year follow-up capacity"],
                     ["Returns and cancelled-infusion terms", "Prior authorisation workflow"]),
    "ibc": ("Institutional Biosafety Committee packet",
            ["Spill and decontamination procedure for viral vectors", "Biosafety risk assessment for each AAV product",
             "Waste route for vials, lines, filters and PPE"],
            ["Payer reimbursement risk", "15-year follow-up capacity"],
            ["Ordering procedure for a patient-specific kit", "Prior authorisation workflow"]),
    "finance": ("Finance leadership packet",
                ["Payer reimbursement risk", "Prior authorisation workflow", "Returns and cancelled-infusion terms",
                 "Staffing plan for the long tail of follow-up"],
                ["Policy drafting"],
                ["Spill and decontamination procedure", "Ordering procedure for a patient-specific kit"]),
    "mec": ("Medical executive committee packet",
            ["Policy drafting", "Provider education", "Informed consent form for commercial gene therapy",
             "Limit prescribing and administration privileges"],
            ["Pharmacy handling", "Payer reimbursement risk"],
            ["Formulary approval by the Pharmacy and Therapeutics committee", "Prior authorisation workflow"]),
}


def test_every_packaged_definition_is_valid_against_the_real_library(app: object) -> None:
    catalog = app.state.catalog  # type: ignore[attr-defined]
    for kind in EXPECTED:
        text = (PACKAGED_DIR / f"{kind}.yaml").read_text(encoding="utf-8")
        assert parse_definition(text, catalog, kind=kind).kind == kind


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_packet_kind_prints_its_scope_decisions_register_and_verifies(real_team: Team, kind: str) -> None:
    team = real_team
    signed(team, "POL-002", "committee_approval", "policy_lead")  # IBC registration: IBC, not MEC (excluded)
    signed(team, "PAY-001", "financial_analysis", "finance_lead")  # finance only
    signed(team, "PHARM-006", "sop", "pharmacy_lead")  # pharmacy: P&T only
    meta = generate(team, kind)
    assert meta["kind"] == kind
    pdf = team.clients["viewer"].get(f"/api/reports/{meta['number']}/pdf").content
    text = pdf_text(pdf)
    title, present, absent_areas, absent_items = EXPECTED[kind]
    assert title in text and "Riverside University Hospital" in text
    for phrase in present:
        assert phrase in text, phrase
    for area in absent_areas:
        assert not re.search(re.escape(area) + r" \d+% ready", text), area
    for item in absent_items:
        assert item not in text, item
    # the projection sits above everything but the cover, decisions requested follow the summary
    assert text.index("Projected first-patient date") < text.index("Decisions requested")
    assert "Decisions requested" in text and "await sign-off by" in text
    decisions = text[text.index("Decisions requested"):text.index("What this packet covers")]
    register = text[text.index("Sign-off register"):]
    in_register = {key for key in ("POL-002", "PAY-001", "PHARM-006") if f"{key} " in register.split("How to read")[0]}
    assert in_register == {"pt-committee": {"PHARM-006"}, "ibc": {"POL-002"}, "finance": {"PAY-001"},
                           "mec": set()}[kind]
    for key in ("POL-002", "PAY-001", "PHARM-006"):  # signed: no longer a decision requested
        assert f"{key} " not in decisions
    awaited = {"pt-committee": "PHARM-016", "ibc": "PHARM-024", "finance": "PAY-004", "mec": "POL-011"}[kind]
    assert awaited in decisions
    verified = team.clients["viewer"].get("/api/reports/verify", params={"number": meta["number"]}).json()
    assert verified["matches"] is True and verified["data_sha256"] == meta["data_sha256"]
    assert str(meta["data_sha256"]) in text.replace(" ", "")


def test_finance_packet_shows_the_reimbursement_model_and_the_others_do_not(real_team: Team) -> None:
    inputs = real_team.clients["viewer"].get(real_team.url("/scenarios/defaults")).json()["reimbursement"]
    scenario = real_team.clients["finance_lead"].post(real_team.url("/scenarios/reimbursement"),
                                                      json={"name": "Base case", "inputs": inputs})
    assert scenario.status_code == 201, scenario.text
    texts = {kind: pdf_text(real_team.clients["viewer"].get(f"/api/reports/{generate(real_team, kind)['number']}/pdf")
                            .content) for kind in ("finance", "ibc")}
    assert "Reimbursement exposure model" in texts["finance"] and "Peak cash" in texts["finance"]
    assert "Reimbursement exposure model" not in texts["ibc"]


def test_report_kind_is_validated(real_team: Team) -> None:
    response = real_team.clients["champion"].post(real_team.url("/reports"), json={"kind": "board"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "kind"]
    assert {k.value for k in ReportKind} >= {"full", "executive", "pt-committee", "ibc", "finance", "mec"}
    listed = real_team.clients["viewer"].get(real_team.url("/reports")).json()
    assert listed == []


def test_a_packet_compares_with_the_previous_packet_of_its_kind(real_team: Team) -> None:
    first = generate(real_team, "finance")
    generate(real_team, "ibc")
    signed(real_team, "PAY-001", "financial_analysis", "finance_lead")
    second = generate(real_team, "finance")
    text = pdf_text(real_team.clients["viewer"].get(f"/api/reports/{second['number']}/pdf").content)
    assert f"Compared with {first['number']}" in text
    assert "Newly signed off (1): PAY-001 Acquisition route decided for each product and payer" in text
