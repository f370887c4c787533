"""The item page shows the approval chain step by step and offers each person the step that is theirs; the queue
page names the step waiting for them; a wrong meeting date is shown beside its field."""

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from app.clock import today
from tests.conftest import Team
from tests.factories import make_user
from tests.signoffs.test_chains import CHAIN, KEY, committee, give_chain
from tests.signoffs.test_signoff_rules import attach, mark_done
from tests.web.form_client import FormClient


def test_a_policy_goes_through_its_three_steps_on_the_item_page(app: FastAPI, session: Session, team: Team) -> None:
    give_chain(session, team)
    pt_user = make_user(session, team.institution, roles=("viewer",), password="a long demo passphrase",
                        email="pt@riverside.example", full_name="Pat Tee")
    mec_user = make_user(session, team.institution, roles=("viewer",), password="a long demo passphrase",
                         email="mec@riverside.example", full_name="Meg Exec")
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_user)
    committee(session, team, "mec", "Medical executive committee", mec_user)
    attach(team, KEY, "committee_approval")
    mark_done(team, KEY)
    page = f"/programs/{team.program.id}/items/{KEY}"
    signers: list[tuple[str, dict[str, Any]]] = [
        ("policy_lead@riverside.example", {}),
        ("pt@riverside.example", {"meeting_date": str(today() - timedelta(days=2))}),
        ("mec@riverside.example", {"meeting_date": str(today())}),
    ]
    for number, (email, extra) in enumerate(signers, start=1):
        person = FormClient(app, email)
        queue = person.get("/queue").text
        assert f"Step {number} of {len(CHAIN)}" in queue, queue
        html = person.get(page).text
        assert "Approval chain" in html and f"Sign step {number} of 3" in html
        version = team.clients["viewer"].get(team.url(f"/items/{KEY}")).json()["version"]
        if number == 2:  # a meeting in the future is refused beside its field
            future = person.post(f"{page}/signoff", {"password": "a long demo passphrase", "version": str(version),
                                                     "meaning": "approved", "step": "2", "committee": "pt",
                                                     "meeting_date": str(today() + timedelta(days=3))})
            assert future.status_code == 422 and 'id="meeting-error"' in future.text
        form = {"password": "a long demo passphrase", "version": str(version), "step": str(number),
                "meaning": CHAIN[number - 1]["meaning"], **extra}
        response = person.post(f"{page}/signoff", form)
        assert response.status_code == 303, response.text
    html = team.clients["viewer"].get(team.url(f"/items/{KEY}")).json()
    assert html["status"] == "signed_off"
    viewer = FormClient(app, "viewer@riverside.example")
    shown = viewer.get(page).text
    assert shown.count("Signed</span> by") == 3 and "on behalf of the Medical executive committee" in shown


def test_an_administrator_sets_up_a_committee_on_the_administration_page(app: FastAPI, team: Team) -> None:
    admin = FormClient(app, "administrator@riverside.example")
    page = f"/institutions/{team.institution.id}/admin"
    assert "Set up a committee" in admin.get(page).text
    bad = admin.post(f"{page}/committees", {"slug": "P&T", "name": "Pharmacy and therapeutics"})
    assert bad.status_code == 422 and 'id="committee-slug-error"' in bad.text
    admin.get(page)
    made = admin.post(f"{page}/committees", {"slug": "pt", "name": "Pharmacy and therapeutics"})
    assert made.status_code == 303
    admin.get(page)
    seated = admin.post(f"{page}/committees/pt/members", {"user_id": str(team.people["pharmacy_lead"].id)})
    assert seated.status_code == 303
    html = admin.get(page).text
    assert 'id="committee-pt"' in html and "Pharmacy lead" in html.split('id="committee-pt"')[1].split("</ul>")[0]
    listed = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/committees").json()
    assert [m["full_name"] for m in listed[0]["members"]] == ["Pharmacy lead"]
