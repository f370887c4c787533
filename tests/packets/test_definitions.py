"""Institutions copy and adapt packet definitions: validated with line and field, stored only when valid, the newest
used for their next packets, invisible to other institutions."""

import io

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.packets.models import PacketDefinitionRecord
from app.packets.service import PACKAGED_DIR
from tests.conftest import Team


def url(team: Team, kind: str = "ibc") -> str:
    return f"/api/institutions/{team.institution.id}/packets/{kind}"


def adapted(team: Team, title: str = "Riverside biosafety packet") -> str:
    text = (PACKAGED_DIR / "ibc.yaml").read_text(encoding="utf-8")
    return text.replace("title: Institutional Biosafety Committee packet", f"title: {title}")


def problems(response: object) -> str:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    detail = response.json()["detail"][0]  # type: ignore[attr-defined]
    assert detail["loc"] == ["body", "yaml"]
    return str(detail["msg"])


def test_the_packaged_definition_is_read_until_the_institution_adapts_one(real_team: Team, session: Session) -> None:
    packaged = real_team.clients["viewer"].get(url(real_team)).json()
    assert (packaged["source"], packaged["number"], packaged["title"]) == (
        "packaged", None, "Institutional Biosafety Committee packet")
    assert packaged["yaml"].startswith("# Institutional Biosafety Committee packet")
    saved = real_team.clients["champion"].put(url(real_team), json={"yaml": adapted(real_team)})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["source"], saved.json()["number"]) == ("institution", 1)
    again = real_team.clients["administrator"].put(url(real_team), json={"yaml": adapted(real_team, "Second take")})
    assert again.json()["number"] == 2
    read = real_team.clients["viewer"].get(url(real_team)).json()
    assert (read["title"], read["number"], read["created_by_name"]) == ("Second take", 2, "Administrator")
    events = session.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "packet_definition.saved"))
    assert events == 2
    # the institution's next packet uses its newest definition, and says so
    report = real_team.clients["champion"].post(real_team.url("/reports"), json={"kind": "ibc"}).json()
    pdf = real_team.clients["viewer"].get(f"/api/reports/{report['number']}/pdf").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Second take" in text and "adapted definition no. 2" in text
    # other kinds stay packaged
    assert real_team.clients["viewer"].get(url(real_team, "mec")).json()["source"] == "packaged"


def test_an_invalid_definition_names_line_and_field_and_stores_nothing(real_team: Team, session: Session) -> None:
    champion = real_team.clients["champion"]
    text = adapted(real_team)
    lines = text.splitlines()
    unknown_key = text.replace("evidence: true", "evidence: true\nappendix: yes")
    line = unknown_key.splitlines().index("appendix: yes") + 1
    assert problems(champion.put(url(real_team), json={"yaml": unknown_key})) == (
        f"packet definition is invalid: line {line}: appendix: unknown key")
    typo = text.replace("PHARM-024", "PHARM-924")
    line = next(n for n, row in enumerate(typo.splitlines(), 1) if "PHARM-924" in row)
    message = problems(champion.put(url(real_team), json={"yaml": typo}))
    assert f"line {line}: include.items." in message and "no checklist library has an item 'PHARM-924'" in message
    role = text.replace("signoff_roles: [policy_lead, pharmacy_lead, education_lead]", "signoff_roles: [pharmasist]")
    line = next(n for n, row in enumerate(role.splitlines(), 1) if "pharmasist" in row)
    assert f"line {line}: signoff_roles.0: unknown sign-off role 'pharmasist'" in problems(
        champion.put(url(real_team), json={"yaml": role}))
    tag = text.replace("include:\n", "include:\n  tags: [evidence:sop, colour:red]\n")
    assert "include.tags.1: tag 'colour:red' is not of the form" in problems(
        champion.put(url(real_team), json={"yaml": tag}))
    kind_line = next(n for n, row in enumerate(lines, 1) if row.startswith("kind:"))
    assert f"line {kind_line}: kind: this is the mec packet, but the file says 'ibc'" in problems(
        champion.put(url(real_team, "mec"), json={"yaml": text}))
    broken = "kind: ibc\n  title: [x"
    assert "line 2: YAML syntax error" in problems(champion.put(url(real_team), json={"yaml": broken}))
    assert "a packet definition is a mapping" in problems(champion.put(url(real_team), json={"yaml": "- just a list"}))
    nothing = text.replace("  items: [", "  exclude_items: [").replace("include:\n", "include:\n", 1)
    assert "include selects nothing" in problems(champion.put(url(real_team), json={"yaml": nothing}))
    duplicate = text + "title: twice\n"
    assert "duplicate key 'title'" in problems(champion.put(url(real_team), json={"yaml": duplicate}))
    assert champion.put(url(real_team), json={"yaml": "kind: ibc\x00"}).status_code == 422
    assert session.scalar(select(func.count()).select_from(PacketDefinitionRecord)) == 0
    assert real_team.clients["viewer"].get(url(real_team)).json()["source"] == "packaged"


def test_only_champions_and_administrators_adapt_and_other_institutions_see_nothing(
    real_team: Team, outsider: TestClient
) -> None:
    text = adapted(real_team)
    refused = real_team.clients["viewer"].put(url(real_team), json={"yaml": text})
    assert refused.status_code == 403 and "administrator or champion" in refused.json()["detail"]
    assert real_team.clients["finance_lead"].put(url(real_team), json={"yaml": text}).status_code == 403
    assert outsider.get(url(real_team)).status_code == 404
    assert outsider.put(url(real_team), json={"yaml": text}).status_code == 404
    assert real_team.clients["champion"].put(url(real_team), json={"yaml": text}).status_code == 200
    mine = real_team.clients["viewer"].get("/api/packet-kinds").json()
    theirs = outsider.get("/api/packet-kinds").json()
    assert [k["kind"] for k in theirs] == ["pt-committee", "ibc", "finance", "mec"]
    assert all(k["institution_id"] is None for k in theirs)
    assert mine[:4] == theirs and mine[4:] == [{
        "kind": "ibc", "title": "Riverside biosafety packet", "audience": "Institutional Biosafety Committee",
        "institution_id": str(real_team.institution.id), "number": 1}]


def test_an_unknown_packet_kind_is_422_naming_the_path_parameter(real_team: Team) -> None:
    response = real_team.clients["viewer"].get(url(real_team, "board"))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "packet_kind"]
