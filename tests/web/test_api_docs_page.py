"""/docs in Chromium on a network that reaches nothing but the service: Swagger UI loads from the app's own files,
and its Authorize button takes an API token that then authenticates a call made from the page."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session

from app.auth.service import create_api_token
from tests.factories import make_institution, make_user

pytestmark = pytest.mark.browser


def test_docs_work_offline_and_authorize_with_an_api_token(page: Page, live_server: str, session: Session) -> None:
    user = make_user(session, make_institution(session), roles=("champion",), email="scripter@riverside.example")
    _, token = create_api_token(session, user, "docs page")
    elsewhere: list[str] = []

    def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(live_server).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.goto(f"{live_server}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("gtready")
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_contain_text("apiToken")
    expect(dialog).to_contain_text("sessionCookie")
    bearer = dialog.locator(".auth-container").filter(has_text="apiToken")
    bearer.locator("input").fill(token)
    bearer.get_by_role("button", name="Apply credentials").click()
    dialog.get_by_role("button", name="Close").first.click()

    operation = page.locator("#operations-accounts-me_api_auth_me_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("scripter@riverside.example")
    assert elsewhere == []
