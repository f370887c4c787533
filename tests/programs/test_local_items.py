"""Local items: a program's own steps, with keys LOC-001..., validated like library items, counted in readiness,
audited, left alone by library upgrades and carried by program archives."""

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.checklists.loader import LibraryError, load_library_folder
from app.programs.models import ProgramItem
from app.transfer.service import import_program
from tests.conftest import FIXTURE_CHECKLISTS, Team
from tests.reports.test_reports import download, generate, pdf_text
from tests.signoffs.test_signoff_rules import mark_done, sign
from tests.transfer.conftest import Target, target  # noqa: F401 (the fixture)


def body(**changes: Any) -> dict[str, Any]:
    return {
        "area": "policy",
        "title": "State newborn-screening form filed",
        "done_when": "The state form is filed and acknowledged.",
        "why": "The state requires it before any gene therapy is given.",
        "references": ["State health department rule 12.4"],
        "signoff_role": "policy_lead",
        "criticality": "major",
        **changes,
    }


def add(team: Team, client: str = "champion", **changes: Any) -> dict[str, Any]:
    response = team.clients[client].post(team.url("/local-items"), json=body(**changes))
    assert response.status_code == 201, response.text
    return dict(response.json())


def error_of(response: Any) -> tuple[list[str], str]:
    detail = response.json()["detail"][0]
    return detail["loc"], detail["msg"]


def test_a_champion_adds_a_local_item_that_is_listed_as_local_and_counts(team: Team) -> None:
    before = team.clients["viewer"].get(team.url("/readiness")).json()
    item = add(team, criticality="blocker", evidence_kinds=["committee_approval"], renewal_months=12,
               depends_on=["POL-001"], phase="pre_dose", due_date="2027-01-15")
    assert (item["key"], item["local"], item["weight"], item["phase"]) == ("LOC-001", True, 3, "pre_dose")
    assert item["depends_on"] == ["POL-001"] and item["evidence_kinds"] == ["committee_approval"]
    listed = {i["key"]: i for i in team.clients["viewer"].get(team.url("/items")).json()["items"]}
    assert listed["LOC-001"]["local"] is True and listed["POL-001"]["local"] is False
    after = team.clients["viewer"].get(team.url("/readiness")).json()
    assert after["total_weight"] == before["total_weight"] + 3
    assert "LOC-001" in [b["key"] for b in after["gate"]["blocking"]]


def test_keys_are_allocated_in_order_and_never_reused_after_retirement(team: Team) -> None:
    assert add(team)["key"] == "LOC-001"
    assert add(team, client="administrator")["key"] == "LOC-002"
    response = team.clients["champion"].post(team.url("/local-items/LOC-002/retire"), json={"reason": "Duplicate"})
    assert response.status_code == 200, response.text
    assert add(team)["key"] == "LOC-003"


def test_a_signed_local_item_completes_readiness_and_opens_the_gate_for_it(team: Team) -> None:
    add(team, criticality="blocker", signoff_role="policy_lead")
    version = mark_done(team, "LOC-001")
    signed = sign(team.clients["policy_lead"], team, "LOC-001", version)
    assert signed.status_code == 201, signed.text
    readiness = team.clients["viewer"].get(team.url("/readiness")).json()
    assert "LOC-001" not in [b["key"] for b in readiness["gate"]["blocking"]]
    policy = next(a for a in readiness["areas"] if a["id"] == "policy")
    assert policy["by_status"]["signed_off"] == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"criticality": "urgent"}, "criticality", "unknown criticality 'urgent'"),
        ({"signoff_role": "pharmasist"}, "signoff_role", "unknown sign-off role 'pharmasist'"),
        ({"evidence_kinds": ["photo"]}, "evidence_kinds", "unknown evidence kind 'photo'"),
        ({"weight": 11}, "weight", "less than or equal to 10"),
        ({"renewal_months": 0}, "renewal_months", "greater than or equal to 1"),
        ({"title": "   "}, "title", ""),
        ({"references": []}, "references", "at least 1"),
        ({"phase": "always"}, "phase", "unknown phase 'always'"),
        ({"area": "Policy!"}, "area", ""),
        ({"depends_on": ["pol-1"]}, "depends_on", ""),
        ({"done_when": "ok\x00"}, "done_when", "NUL"),
        ({"colour": "red"}, "colour", ""),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(team: Team, changes: dict[str, Any], field: str,
                                                      words: str) -> None:
    response = team.clients["champion"].post(team.url("/local-items"), json=body(**changes))
    assert response.status_code == 422, response.text
    loc, message = error_of(response)
    assert loc[:2] == ["body", field] and words in message
    assert team.clients["viewer"].get(team.url("/items/LOC-001")).status_code == 404


def test_an_area_the_program_does_not_have_is_refused(team: Team) -> None:
    response = team.clients["champion"].post(team.url("/local-items"), json=body(area="radiology"))
    assert response.status_code == 422
    assert error_of(response) == (["body", "area"], "unknown area 'radiology' (expected one of: pharmacy, policy, "
                                                    "payer)")


def test_an_unknown_or_retired_dependency_is_refused(team: Team) -> None:
    response = team.clients["champion"].post(team.url("/local-items"), json=body(depends_on=["POL-404"]))
    assert response.status_code == 422
    assert error_of(response) == (["body", "depends_on"], "unknown item 'POL-404': not a current item of this program")
    add(team)
    team.clients["champion"].post(team.url("/local-items/LOC-001/retire"), json={"reason": "Not needed"})
    response = team.clients["champion"].post(team.url("/local-items"), json=body(depends_on=["LOC-001"]))
    assert response.status_code == 422 and "LOC-001" in error_of(response)[1]


def test_a_dependency_cycle_is_refused_naming_it(team: Team) -> None:
    first = add(team)
    second = add(team, depends_on=["LOC-001"])
    assert second["depends_on"] == ["LOC-001"]
    response = team.clients["champion"].patch(
        team.url("/local-items/LOC-001"), json={"depends_on": ["LOC-002"], "version": first["version"]}
    )
    assert response.status_code == 422
    assert error_of(response) == (["body", "depends_on"], "dependency cycle: LOC-001 → LOC-002 → LOC-001")
    response = team.clients["champion"].patch(
        team.url("/local-items/LOC-001"), json={"depends_on": ["LOC-001"], "version": first["version"]}
    )
    assert error_of(response) == (["body", "depends_on"], "dependency cycle: LOC-001 depends on itself")


def test_a_library_may_not_use_local_keys(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURE_CHECKLISTS / "mini" / "1.0.0", folder)
    items = folder / "items.yaml"
    items.write_text(items.read_text().replace("id: POL-002", "id: LOC-002"))
    with pytest.raises(LibraryError) as error:
        load_library_folder(folder)
    assert "item LOC-002: id: ids starting with LOC- are kept for programs' own local items" in str(error.value)


def test_malformed_and_library_keys_are_not_local_items(team: Team) -> None:
    response = team.clients["champion"].patch(team.url("/local-items/loc-1"), json={"title": "New", "version": 1})
    assert response.status_code == 422
    response = team.clients["champion"].patch(team.url("/local-items/POL-001"), json={"title": "New title",
                                                                                       "version": 1})
    assert response.status_code == 404 and "library item" in response.json()["detail"]
    response = team.clients["champion"].post(team.url("/local-items/POL-001/retire"), json={"reason": "No"})
    assert response.status_code == 404
    assert team.clients["viewer"].get(team.url("/items/POL-001")).json()["retired"] is False


def test_area_leads_and_viewers_cannot_add_edit_or_retire(team: Team) -> None:
    for role in ("pharmacy_lead", "policy_lead", "viewer"):
        response = team.clients[role].post(team.url("/local-items"), json=body())
        assert response.status_code == 403, role
        assert "champion" in response.json()["detail"]
    add(team)
    response = team.clients["policy_lead"].patch(team.url("/local-items/LOC-001"), json={"title": "Mine", "version": 1})
    assert response.status_code == 403
    response = team.clients["policy_lead"].post(team.url("/local-items/LOC-001/retire"), json={"reason": "Mine"})
    assert response.status_code == 403


def test_another_institution_gets_404(team: Team, outsider: TestClient) -> None:
    add(team)
    assert outsider.post(team.url("/local-items"), json=body()).status_code == 404
    assert outsider.patch(team.url("/local-items/LOC-001"), json={"title": "Theirs", "version": 1}).status_code == 404
    assert outsider.post(team.url("/local-items/LOC-001/retire"), json={"reason": "x"}).status_code == 404


def test_edits_need_the_current_version_and_the_loser_of_a_race_gets_409(team: Team) -> None:
    item = add(team)
    champion, admin = team.clients["champion"], team.clients["administrator"]
    response = champion.patch(team.url("/local-items/LOC-001"), json={"title": "Payer contract signed"})
    assert response.status_code == 422 and error_of(response)[0] == ["body", "version"]
    first = champion.patch(team.url("/local-items/LOC-001"), json={"title": "Payer contract signed"},
                           headers={"If-Match": f'"{item["version"]}"'})
    assert first.status_code == 200 and first.json()["version"] == item["version"] + 1
    assert first.headers["etag"] == f'"{item["version"] + 1}"'
    second = admin.patch(team.url("/local-items/LOC-001"), json={"why": "Someone else's reason",
                                                                 "version": item["version"]})
    assert second.status_code == 409
    assert second.json()["current"]["title"] == "Payer contract signed"
    stale = admin.post(team.url("/local-items/LOC-001/retire"), json={"reason": "Old", "version": item["version"]})
    assert stale.status_code == 409


def test_editing_a_signed_local_item_returns_it_to_done_and_is_audited(team: Team, session: Session) -> None:
    add(team, signoff_role="policy_lead")
    version = mark_done(team, "LOC-001")
    assert sign(team.clients["policy_lead"], team, "LOC-001", version).status_code == 201
    current = team.clients["viewer"].get(team.url("/items/LOC-001")).json()
    response = team.clients["champion"].patch(
        team.url("/local-items/LOC-001"),
        json={"done_when": "The form is filed and the state's receipt is on file.", "version": current["version"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "done"
    events = session.scalars(
        select(AuditEvent).where(col(AuditEvent.entity_key) == "LOC-001").order_by(col(AuditEvent.seq))
    ).all()
    actions = [e.action for e in events]
    assert actions[0] == "item.local_created" and actions[-1] == "item.local_updated"
    assert events[0].after is not None and events[0].after["title"] == "State newborn-screening form filed"
    last = events[-1]
    assert last.before is not None and last.after is not None
    assert last.before["done_when"] == "The state form is filed and acknowledged."
    assert (last.before["status"], last.after["status"]) == ("signed_off", "done")


def test_changing_nothing_changes_no_version(team: Team) -> None:
    item = add(team)
    response = team.clients["champion"].patch(team.url("/local-items/LOC-001"),
                                              json={"title": item["title"], "version": item["version"]})
    assert response.status_code == 200 and response.json()["version"] == item["version"]


def test_retiring_takes_it_out_of_readiness_and_shows_in_its_history(team: Team, session: Session) -> None:
    before = team.clients["viewer"].get(team.url("/readiness")).json()
    add(team, criticality="blocker")
    response = team.clients["champion"].post(team.url("/local-items/LOC-001/retire"),
                                             json={"reason": "The state withdrew the rule"})
    assert response.status_code == 200, response.text
    retired = response.json()
    assert retired["retired"] is True and retired["retired_reason"] == "The state withdrew the rule"
    assert retired["retired_at"] is not None
    after = team.clients["viewer"].get(team.url("/readiness")).json()
    assert after["total_weight"] == before["total_weight"]
    assert "LOC-001" not in [b["key"] for b in after["gate"]["blocking"]]
    assert "LOC-001" not in [i["key"] for i in team.clients["viewer"].get(team.url("/items")).json()["items"]]
    again = team.clients["champion"].post(team.url("/local-items/LOC-001/retire"), json={"reason": "Twice"})
    assert again.status_code == 409
    edit = team.clients["champion"].patch(team.url("/local-items/LOC-001"),
                                          json={"title": "Back again", "version": retired["version"]})
    assert edit.status_code == 409
    event = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "item.local_retired")).one()
    assert event.after == {"retired": True, "reason": "The state withdrew the rule", "version": 2}


def test_an_item_others_depend_on_cannot_be_retired(team: Team) -> None:
    add(team)
    add(team, depends_on=["LOC-001"])
    response = team.clients["champion"].post(team.url("/local-items/LOC-001/retire"), json={"reason": "Merged"})
    assert response.status_code == 409
    assert response.json()["detail"] == "item LOC-001 cannot be retired: LOC-002 depend on it; change them first"


def test_blank_retirement_reason_is_refused(team: Team) -> None:
    add(team)
    response = team.clients["champion"].post(team.url("/local-items/LOC-001/retire"), json={"reason": "  "})
    assert response.status_code == 422 and error_of(response)[0] == ["body", "reason"]


def test_a_library_upgrade_leaves_local_items_untouched(app: FastAPI, team: Team) -> None:
    # POL-002 is retired by 1.1.0 and PHARM-002 changes; a local item in the same areas must not be diffed.
    add(team, area="policy", depends_on=["PHARM-001"])
    mark_done(team, "LOC-001")
    client = team.clients["champion"]
    diff = client.get(team.url("/library-diff"), params={"to_version": "1.1.0"}).json()
    mentioned = [i["key"] for i in diff["added"] + diff["removed"]] + [c["key"] for c in diff["changed"]]
    assert "LOC-001" not in mentioned and [i["key"] for i in diff["removed"]] == ["POL-002"]
    response = client.post(team.url("/library-upgrade"), json={"to_version": "1.1.0"})
    assert response.status_code == 200, response.text
    item = client.get(team.url("/items/LOC-001")).json()
    assert (item["retired"], item["status"], item["local"], item["version"]) == (False, "done", True, 2)
    keys = [i["key"] for i in client.get(team.url("/items")).json()["items"]]
    assert keys.index("LOC-001") > keys.index("POL-001")  # after the library's items of its area


def test_an_export_and_import_keeps_local_items(team: Team, target: Target) -> None:  # noqa: F811
    add(team)
    add(team, area="payer", depends_on=["LOC-001"])
    team.clients["champion"].post(team.url("/local-items/LOC-002/retire"), json={"reason": "Contract dropped"})
    response = team.clients["administrator"].get(team.url("/export"))
    assert response.status_code == 200, response.text
    import_program(target.session, target.catalog, target.storage, io.BytesIO(response.content))
    rows = target.session.scalars(
        select(ProgramItem).where(col(ProgramItem.program_id) == team.program.id, col(ProgramItem.local))
        .order_by(col(ProgramItem.key))
    ).all()
    assert [(r.key, r.retired, r.retired_reason, r.area) for r in rows] == [
        ("LOC-001", False, None, "policy"), ("LOC-002", True, "Contract dropped", "payer")
    ]


# --- the pages ------------------------------------------------------------------------------------------------------


def test_pages_add_show_edit_and_retire_a_local_item(app: FastAPI, team: Team) -> None:
    from tests.web.form_client import as_role

    viewer = as_role(app, team, "viewer")
    assert "Add a local item" not in viewer.get(f"/programs/{team.program.id}").text
    assert viewer.get(f"/programs/{team.program.id}/local-items/new").status_code == 403
    champion = as_role(app, team, "champion")
    assert 'id="add-local-item"' in champion.get(f"/programs/{team.program.id}").text
    page = champion.get(f"/programs/{team.program.id}/local-items/new")
    assert page.status_code == 200 and "Add a local item" in page.text
    form = {"area": "policy", "title": "Payer contract signed", "done_when": "Signed contract on file.",
            "why": "No payment without it.", "references": "Contract template 2026\nFinance policy 7",
            "signoff_role": "finance_lead", "criticality": "urgent", "depends_on": "POL-404", "phase": "both"}
    refused = champion.post(f"/programs/{team.program.id}/local-items", form)
    assert refused.status_code == 422
    assert 'id="criticality-error"' in refused.text and "unknown criticality &#39;urgent&#39;" in refused.text
    assert 'value="Payer contract signed"' in refused.text  # what was typed stays
    refused = champion.post(f"/programs/{team.program.id}/local-items", form | {"criticality": "blocker"})
    assert refused.status_code == 422 and 'id="depends_on-error"' in refused.text and "POL-404" in refused.text
    data: Any = form | {"criticality": "blocker", "depends_on": "pol-001", "evidence_kinds": ["contract", "other"]}
    added = champion.post(f"/programs/{team.program.id}/local-items", data)
    assert added.status_code == 303 and added.headers["location"].endswith("/items/LOC-001?done=local_added")
    item_page = champion.get(added.headers["location"])
    assert "Local item added." in item_page.text and 'class="badge local"' in item_page.text
    assert "added it as a local item" in item_page.text
    program_page = champion.get(f"/programs/{team.program.id}")
    assert '<span class="badge local">Local</span>' in program_page.text
    edit = champion.get(f"/programs/{team.program.id}/local-items/LOC-001/edit")
    assert edit.status_code == 200 and "Contract template 2026\nFinance policy 7" in edit.text
    stale = champion.post(f"/programs/{team.program.id}/local-items/LOC-001/edit",
                          {**form, "criticality": "blocker", "depends_on": "", "version": "7"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    saved = champion.post(f"/programs/{team.program.id}/local-items/LOC-001/edit",
                          {**form, "criticality": "minor", "depends_on": "", "version": "1"})
    assert saved.status_code == 303
    champion.get(f"/programs/{team.program.id}/local-items/LOC-001/edit")
    unconfirmed = champion.post(f"/programs/{team.program.id}/local-items/LOC-001/retire",
                                {"reason": "Contract dropped", "version": "2"})
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
    retired = champion.post(f"/programs/{team.program.id}/local-items/LOC-001/retire",
                            {"reason": "Contract dropped", "version": "2", "confirm": "yes"})
    assert retired.status_code == 303
    item_page = champion.get(f"/programs/{team.program.id}/items/LOC-001")
    assert "Retired on" in item_page.text and "Contract dropped" in item_page.text
    assert "retired it: Contract dropped" in item_page.text and "Edit or retire" not in item_page.text
    assert champion.get(f"/programs/{team.program.id}/local-items/PAY-001/edit").status_code == 404


def test_exports_and_the_report_mark_local_items(team: Team) -> None:
    add(team, title="Payer contract signed", area="payer")
    viewer = team.clients["viewer"]
    rows = list(csv.reader(io.StringIO(viewer.get(team.url("/exports/items.csv"),
                                                  params={"area": "payer"}).content.decode("utf-8-sig"))))
    assert rows[0][-1] == "local"
    assert [(r[0], r[-1]) for r in rows[1:]] == [("PAY-001", "False"), ("LOC-001", "True")]
    report = generate(team)
    text = pdf_text(download(team, report["number"]))
    line = next(line for line in text.splitlines() if "Payer contract signed" in line)
    assert "LOCAL" in line.upper() and "LOC-001" in text
    verified = viewer.get("/api/reports/verify", params={"number": report["number"]})
    assert verified.status_code == 200 and verified.json()["matches"] is True  # the marker is in the hashed data


# --- the command line -----------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))


@pytest.mark.usefixtures("cli_env")
def test_the_command_adds_one_item_from_options(team: Team) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, [
        "items", "add-local", str(team.program.id), "--area", "policy", "--title", "State form filed",
        "--done-when", "Filed.", "--why", "The state requires it.", "--source", "State rule 12.4",
        "--signoff-role", "policy_lead", "--criticality", "minor", "--evidence", "other", "--depends-on", "POL-001",
    ])
    assert result.exit_code == 0, result.output
    assert "LOC-001  policy  State form filed" in result.output and "Added 1 local item." in result.output
    item = team.clients["viewer"].get(team.url("/items/LOC-001")).json()
    assert (item["local"], item["depends_on"], item["evidence_kinds"]) == (True, ["POL-001"], ["other"])
    refused = CliRunner().invoke(cli, [
        "items", "add-local", str(team.program.id), "--area", "policy", "--title", "Bad one", "--done-when", "x",
        "--why", "x", "--source", "x", "--signoff-role", "policy_lead", "--criticality", "urgent",
    ])
    assert refused.exit_code == 1 and "--criticality: unknown criticality 'urgent'" in refused.output
    assert "Traceback" not in refused.output


ITEMS_YAML = """items:
  - area: policy
    title: State form filed
    done_when: Filed.
    why: The state requires it.
    references: [State rule 12.4]
    signoff_role: policy_lead
    criticality: major
  - area: payer
    title: Payer contract signed
    done_when: Signed.
    why: No payment without it.
    references: [Contract 2026]
    signoff_role: finance_lead
    criticality: blocker
    evidence: [contract]
    depends_on: [PAY-001]
"""


@pytest.mark.usefixtures("cli_env")
def test_the_command_adds_a_file_of_items_or_names_the_line_it_refuses(team: Team, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    bad = tmp_path / "bad.yaml"
    bad.write_text(ITEMS_YAML.replace("criticality: blocker", "criticality: urgent"))
    result = CliRunner().invoke(cli, ["items", "add-local", str(team.program.id), "--file", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml line 15: item #2: criticality: unknown criticality 'urgent'" in result.output
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(ITEMS_YAML.replace("[PAY-001]", "[PAY-404]"))
    result = CliRunner().invoke(cli, ["items", "add-local", str(team.program.id), "--file", str(unknown)])
    assert result.exit_code == 1 and "unknown.yaml line 17: item #2: unknown item 'PAY-404'" in result.output
    assert team.clients["viewer"].get(team.url("/items/LOC-001")).status_code == 404  # all or nothing
    good = tmp_path / "items.yaml"
    good.write_text(ITEMS_YAML)
    result = CliRunner().invoke(cli, ["items", "add-local", str(team.program.id), "--file", str(good)])
    assert result.exit_code == 0, result.output
    assert "LOC-001  policy" in result.output and "LOC-002  payer" in result.output
    assert "Added 2 local items." in result.output


def test_readiness_history_counts_a_local_item_only_while_it_was_current(app: FastAPI, session: Session) -> None:
    from app.clock import frozen_at
    from app.programs.history import readiness_history
    from app.programs.local_items import create_local_item, retire_local_item
    from app.programs.readiness import readiness
    from app.programs.schemas import LocalItemCreate
    from tests.factories import make_program
    from tests.programs.test_history import at

    with frozen_at(at(0)):
        program = make_program(session, app.state.catalog)
        pay = session.scalars(select(ProgramItem).where(col(ProgramItem.key) == "PAY-001")).one()
        pay.status = "signed_off"  # weight 4 of the 13 the program opened with, complete from the start
        session.add(pay)
        session.commit()
    with frozen_at(at(1)):  # a local blocker of weight 10 nobody has done: readiness drops while it counts
        create_local_item(session, program.id, LocalItemCreate.model_validate(body(criticality="blocker", weight=10)))
    with frozen_at(at(2)):
        version = session.scalars(select(ProgramItem.version).where(col(ProgramItem.key) == "LOC-001")).one()
        retire_local_item(session, program.id, "LOC-001", "Rule withdrawn", version)
    with frozen_at(at(3)):
        series = readiness_history(session, [program])[program.id]
        assert series[-1].ratio == readiness(session, program.id).overall_ratio
    assert [(p.at, p.ratio) for p in series] == [
        (at(0), 0.3077), (at(1), 0.1739), (at(2), 0.3077), (at(3), 0.3077)
    ]


def test_people_adding_at_once_all_get_distinct_keys(team: Team) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(index: int) -> tuple[int, str]:
        client = team.clients["champion" if index % 2 else "administrator"]
        response = client.post(team.url("/local-items"), json=body(title=f"Concurrent step {index}"))
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(one, range(8)))
    assert [status for status, _ in answers] == [201] * 8, answers
    keys = sorted(i["key"] for i in team.clients["viewer"].get(team.url("/items")).json()["items"] if i["local"])
    assert keys == [f"LOC-{n:03d}" for n in range(1, 9)]
