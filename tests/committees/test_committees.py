"""Committees: administrators set them up and seat members (audited); other institutions see nothing; the command
line does the same; a library chain is validated with file and line; programs copy chains from the library."""

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.checklists.loader import LibraryError, load_path
from app.cli import cli
from tests.conftest import FIXTURE_CHECKLISTS, Team


def url(team: Team, path: str = "") -> str:
    return f"/api/institutions/{team.institution.id}/committees{path}"


def test_an_administrator_sets_up_a_committee_with_chair_and_members_audited(team: Team) -> None:
    admin = team.clients["administrator"]
    chair = team.people["pharmacy_lead"]
    created = admin.post(url(team), json={"slug": "pt", "name": "Pharmacy and therapeutics", "chair_id": str(chair.id)})
    assert created.status_code == 201, created.text
    assert created.json()["chair_name"] == chair.full_name
    assert [m["full_name"] for m in created.json()["members"]] == [chair.full_name]  # the chair sits on it
    added = admin.post(url(team, "/pt/members"), json={"user_id": str(team.people["champion"].id)})
    assert added.status_code == 201 and len(added.json()["members"]) == 2
    again = admin.post(url(team, "/pt/members"), json={"user_id": str(team.people["champion"].id)})
    assert again.status_code == 409
    renamed = admin.patch(url(team, "/pt"), json={"name": "P&T committee"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "P&T committee"
    removed = admin.delete(url(team, f"/pt/members/{chair.id}"))
    assert removed.status_code == 200 and removed.json()["chair_id"] is None
    listed = team.clients["viewer"].get(url(team)).json()
    assert [(c["slug"], c["name"], len(c["members"])) for c in listed] == [("pt", "P&T committee", 1)]
    assert admin.post(url(team), json={"slug": "pt", "name": "Twice"}).status_code == 409
    assert admin.delete(url(team, "/pt")).status_code == 204
    assert team.clients["viewer"].get(url(team)).json() == []
    audit = team.clients["administrator"].get("/api/audit/verify").json()
    assert audit["valid"] is True


def test_only_administrators_change_committees_and_members_must_belong(team: Team, outsider: TestClient) -> None:
    refused = team.clients["champion"].post(url(team), json={"slug": "pt", "name": "P&T"})
    assert refused.status_code == 403 and refused.json()["required_roles"] == ["administrator"]
    assert outsider.get(url(team)).status_code == 404
    admin = team.clients["administrator"]
    admin.post(url(team), json={"slug": "pt", "name": "P&T"})
    stranger = outsider.get("/api/auth/me").json().get("id", "00000000-0000-0000-0000-000000000000")
    response = admin.post(url(team, "/pt/members"), json={"user_id": stranger})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "user_id"]
    assert admin.patch(url(team, "/mec"), json={"name": "x"}).status_code == 404
    bad = admin.post(url(team), json={"slug": "P&T", "name": "x"})
    assert bad.status_code == 422


def test_the_command_line_lists_adds_and_seats(monkeypatch: pytest.MonkeyPatch, app: FastAPI, team: Team) -> None:
    monkeypatch.setenv("DATABASE_URL", str(app.state.settings.database_url))
    runner = CliRunner()
    name = team.institution.name
    added = runner.invoke(cli, ["committees", "add", name, "mec", "Medical executive committee",
                                "--chair", "champion@riverside.example"])
    assert added.exit_code == 0, added.output
    seated = runner.invoke(cli, ["committees", "add-member", name, "mec", "policy_lead@riverside.example"])
    assert seated.exit_code == 0, seated.output
    listed = runner.invoke(cli, ["committees", "list", name])
    assert "mec  Medical executive committee, chaired by Program champion: 2 members" in listed.output
    unknown = runner.invoke(cli, ["committees", "add-member", name, "mec", "nobody@elsewhere.example"])
    assert unknown.exit_code == 1 and "no member of" in unknown.output and "Traceback" not in unknown.output
    twice = runner.invoke(cli, ["committees", "add", name, "mec", "Again"])
    assert twice.exit_code == 1 and "already has a committee 'mec'" in twice.output


def test_a_chain_naming_an_unknown_role_is_refused_with_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "mini" / "1.0.0"
    shutil.copytree(FIXTURE_CHECKLISTS / "mini" / "1.0.0", target)
    items = target / "items.yaml"
    text = items.read_text()
    old = "    signoff_role: finance_lead\n"
    assert old in text
    items.write_text(text.replace(old, old + "    approval_chain:\n      - {role: finance_lead, meaning: authored}\n"
                                        "      - {role: treasurer, meaning: approved}\n", 1))
    with pytest.raises(LibraryError) as caught:
        load_path(target)
    line = next(n for n, row in enumerate(items.read_text().splitlines(), 1) if "treasurer" in row)
    assert f"items.yaml line {line}" in str(caught.value)
    assert "unknown sign-off role 'treasurer'" in str(caught.value)
    items.write_text(text.replace(old, old + "    approval_chain:\n      - {role: finance_lead, committee: pt, "
                                        "meaning: approved}\n", 1))
    with pytest.raises(LibraryError) as both:
        load_path(target)
    assert "exactly one of 'role' or 'committee'" in str(both.value)
