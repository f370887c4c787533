"""Browser journey: a pharmacy lead signs in through the provider's own sign-in form (a real OpenID Connect
provider, oidc-provider-mock), lands in gtready with the role their directory group maps to, and signs an item
by signing in again at the provider. Screenshots at 1366 and 390 px."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page
from sqlmodel import Session

from app.config import Settings
from app.sso.schemas import SsoConfig
from app.sso.service import set_sso_config
from tests.conftest import Team
from tests.signoffs.test_signoff_rules import mark_done
from tests.sso.conftest import MockProvider, free_port, sso_settings
from tests.sso.conftest import mock_provider as mock_provider  # the provider's server process (fixture)
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(
    template_url: str, tmp_path: Path, checklists_dir: Path, mock_provider: MockProvider, port: int,
) -> Settings:
    configured = sso_settings(template_url, tmp_path, checklists_dir, mock_provider.issuer)
    return configured.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})


@pytest.fixture
def live_server(app: FastAPI, port: int) -> Iterator[str]:
    import threading
    import time

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "live server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _provider_form(page: Page, sub: str) -> None:
    """The provider's own page: type the subject, press Authorize."""
    page.wait_for_url(lambda url: "/oauth2/authorize" in url)
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_person_signs_in_through_the_provider_and_signs_an_item(
    browser: Browser, live_server: str, team: Team, session: Session, mock_provider: MockProvider,
) -> None:
    set_sso_config(session, team.people["administrator"], team.institution.id, SsoConfig.model_validate({
        "rules": [{"email_domain": "stmarys.example"}],
        "group_roles": [{"group": "gt-policy", "role": "policy_lead"}],
    }))
    version = mark_done(team, "POL-002")
    assert version
    mock_provider.set_user("sam-1", email="sam@stmarys.example", name="Sam Okafor", groups=["gt-policy"])

    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/login")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"sso-login-{width}")
        context.close()

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/login?next=/programs/{team.program.id}/items/POL-002")
    page.get_by_role("link", name="Sign in with Riverside ID").click()
    _provider_form(page, "sam-1")
    page.wait_for_url(f"{live_server}/programs/{team.program.id}/items/POL-002")
    assert "Sam Okafor" in page.content()
    panel = page.locator("section", has=page.get_by_role("heading", name="Sign off as Policy lead"))
    assert panel.locator("input[type=password]").count() == 0
    assert "sign in again at Riverside ID" in panel.inner_text()
    panel.get_by_label("Statement (optional)").fill("Policy approved by the committee on 12 November")
    panel.get_by_role("button", name="Sign off POL-002").click()
    _provider_form(page, "sam-1")
    page.wait_for_url(lambda url: "done=signed" in url)
    history = page.locator("section", has=page.get_by_role("heading", name="Sign-off history")).inner_text()
    assert "Sam Okafor" in history and "Policy approved by the committee" in history
    screenshot(page, "sso-item-signed-1366")
    context.close()
    [record] = team.clients["champion"].get(team.url("/signoffs?item=POL-002")).json()
    assert record["auth_method"] == "sso" and record["signer_name"] == "Sam Okafor"
