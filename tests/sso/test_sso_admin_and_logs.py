"""The administrators' single sign-on section, and what a failed sign-in leaves in the log (claims, no tokens)."""

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.programs.models import Institution
from app.sso.service import sso_config
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_user
from tests.sso.conftest import MockProvider, sign_in


def _admin_browser(client: TestClient, email: str) -> tuple[TestClient, str]:
    browser = TestClient(client.app)
    assert browser.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False).is_redirect
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/account").text)
    assert csrf
    return browser, csrf.group(1)


def test_an_administrator_maps_domains_claims_and_groups_on_the_admin_page(
    team: Team, session: Session, anonymous: TestClient,
) -> None:
    browser, csrf = _admin_browser(anonymous, "administrator@riverside.example")
    page = browser.get(f"/institutions/{team.institution.id}/admin")
    assert 'id="sso-heading"' in page.text and "Save single sign-on" in page.text
    saved = browser.post(f"/institutions/{team.institution.id}/admin/sso", follow_redirects=False, data={
        "domains": "Riverside.example\nriverside-health.example", "claims": "tid=tenant-42",
        "groups": "GT Pharmacy Leads = pharmacy_lead\ngt-viewers=viewer", "require_sso": "1", "csrf_token": csrf})
    assert saved.status_code == 303
    config = sso_config(session, team.institution.id)
    assert sorted(r.email_domain or r.value or "" for r in config.rules) == [
        "riverside-health.example", "riverside.example", "tenant-42"]
    assert all(r.require_sso for r in config.rules)
    assert {(g.group, g.role.value) for g in config.group_roles} == {
        ("GT Pharmacy Leads", "pharmacy_lead"), ("gt-viewers", "viewer")}
    page = browser.get(f"/institutions/{team.institution.id}/admin?done=sso").text
    assert "Single sign-on settings saved." in page and "GT Pharmacy Leads = pharmacy_lead" in page


def test_a_line_the_form_cannot_read_is_named_and_nothing_changes(
    team: Team, session: Session, anonymous: TestClient,
) -> None:
    browser, csrf = _admin_browser(anonymous, "administrator@riverside.example")
    refused = browser.post(f"/institutions/{team.institution.id}/admin/sso", data={
        "domains": "riverside.example", "groups": "gt-viewers = viewer\ngt-boss = emperor", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "group mappings, line 2: write group = role" in refused.text
    refused = browser.post(f"/institutions/{team.institution.id}/admin/sso", data={
        "domains": "not a domain", "csrf_token": csrf})
    assert refused.status_code == 422 and "email_domain" in refused.text
    assert sso_config(session, team.institution.id).rules == []


def test_another_institutions_section_is_not_found_and_a_domain_has_one_owner(
    team: Team, session: Session, anonymous: TestClient,
) -> None:
    other = make_institution(session, "Elsewhere General")
    make_user(session, other, roles=("administrator",), email="boss@elsewhere.example", password=PASSWORD)
    browser, csrf = _admin_browser(anonymous, "boss@elsewhere.example")
    planted = browser.post(f"/institutions/{team.institution.id}/admin/sso",
                           data={"domains": "riverside.example", "csrf_token": csrf})
    assert planted.status_code == 404
    team.clients["administrator"].put(f"/api/institutions/{team.institution.id}/sso",
                                      json={"rules": [{"email_domain": "riverside.example"}]}).raise_for_status()
    taken = browser.post(f"/institutions/{other.id}/admin/sso", data={"domains": "riverside.example",
                                                                    "csrf_token": csrf})
    assert taken.status_code == 422 and "already belongs to another institution" in taken.text
    without_csrf = browser.post(f"/institutions/{other.id}/admin/sso", data={"domains": "elsewhere.example"})
    assert without_csrf.status_code == 403


def test_a_failed_sign_in_logs_the_reason_and_claims_but_no_token(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="gtready.sso"):
        answer = sign_in(anonymous, mock_provider, "zed-1", email="zed@riverside.example", groups=["nothing-mapped"])
    assert answer.status_code == 403
    [record] = [r for r in caplog.records if r.name == "gtready.sso"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["event"] == "sso.failed" and fields["reason"] == "no_role"
    assert fields["claims"]["groups"] == ["nothing-mapped"] and fields["claims"]["email"] == "zed@riverside.example"
    assert "nonce" not in fields["claims"] and "at_hash" not in fields["claims"]
    assert "eyJ" not in str(fields)  # no JWT anywhere in the line
