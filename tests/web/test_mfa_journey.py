"""A policy lead turns on two-factor authentication in the browser (the key read from the page, the codes computed
as a phone would), logs out, logs in with a code and signs an item with one. The pages pass axe and fit a phone."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.clock import frozen_at
from app.programs.models import ItemStatus
from app.programs.service import get_item
from tests.factories import make_institution, make_program, make_user
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot

MOMENT = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    """Codes come from the time: the server (in this process) and the 'phone' below share one frozen moment."""
    with frozen_at(MOMENT):
        yield


def phone(secret: str, steps_from_now: int) -> str:
    return pyotp.TOTP(secret).at(MOMENT + timedelta(seconds=30 * steps_from_now))


def check_page(page: Page, name: str) -> None:
    """axe finds nothing, the page fits 390 px without scrolling sideways, and screenshots at both widths."""
    assert_accessible(page, name)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_fits(page, name)
        screenshot(page, f"mfa-{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
def test_enrol_log_in_with_a_code_and_sign_with_one(
    app: FastAPI, session: Session, live_server: str, page: Page, browser: Browser
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("policy_lead",), full_name="Ines Duarte",
              email="policy@riverside.example", password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)
    item = get_item(session, program.id, "POL-002")
    item.status = ItemStatus.DONE
    session.add(item)
    session.commit()

    login(page, live_server, "policy@riverside.example")
    page.goto(f"{live_server}/account")
    page.get_by_role("link", name="Manage two-factor authentication").click()
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.get_by_role("img", name="QR code holding your gtready two-factor secret")).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text().strip()
    check_page(page, "enrol")
    page.get_by_label("Code the app shows now").fill(phone(secret, -1))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    check_page(page, "recovery-codes")

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill("policy@riverside.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/login/mfa")
    check_page(page, "login-code")
    page.get_by_label("Code").fill(phone(secret, -1))  # the enrolment's code, seen again: refused
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")
    page.get_by_label("Code").fill(phone(secret, 0))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/programs/{program.id}/items/POL-002")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(phone(secret, 1))
    page.get_by_role("button", name="Sign off POL-002").click()
    expect(page.get_by_role("status")).to_have_text("Signed off.")
    screenshot(page, "mfa-signed")
    session.expire_all()
    assert get_item(session, program.id, "POL-002").status == ItemStatus.SIGNED_OFF


@pytest.mark.browser
def test_the_admin_security_page_passes_axe_and_fits_a_phone(
    app: FastAPI, session: Session, live_server: str, page: Page
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("administrator",), email="admin@riverside.example", password=PASSWORD)
    login(page, live_server, "admin@riverside.example")
    page.goto(f"{live_server}/institutions/{institution.id}/admin")
    page.get_by_role("link", name="Security: two-factor authentication and service accounts").click()
    page.get_by_label("Name").fill("Data warehouse nightly export")
    page.get_by_label("Access").select_option("read-write")
    page.get_by_role("button", name="Create service account").click()
    expect(page.locator("#new-client-secret")).not_to_be_empty()
    check_page(page, "admin-security")
    page.get_by_label("Program champion").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Security settings saved.")
    page.get_by_role("link", name="Revoke Data warehouse nightly export").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the service account")
    page.get_by_role("button", name="Revoke service account").click()
    expect(page.get_by_role("status")).to_contain_text("Service account revoked")
