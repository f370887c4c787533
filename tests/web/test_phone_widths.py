"""Every page fits a phone: at 390 x 844 (and at 1366) no page is wider than the viewport, so nothing needs
horizontal scrolling. The demo institution is seeded once for the module and each page is opened as the demo person
who would use it; a failure names the page and the elements sticking out. Screenshots land in var/screenshots.

A page added to the web app must be added to PAGES (or to NOT_PAGES, saying why): the last test fails otherwise."""

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext
from sqlalchemy import select
from sqlmodel import Session, col

from app import migrate
from app.auth.invitations import create_invitation
from app.auth.models import User
from app.auth.roles import Role
from app.auth.service import create_api_token
from app.auth.service_accounts import Access, create_service_account
from app.calendar.service import create_feed
from app.checklists.schema import CareRole
from app.config import Settings
from app.demo import DEMO_PASSWORD, seed_demo
from app.dossier.service import generate_dossier
from app.evidence.files import LocalStorage
from app.institution_libraries.service import import_library
from app.main import create_app
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind
from app.programs.models import ProgramItem
from app.programs.schemas import ProgramCreate
from app.programs.service import create_program, get_library
from app.reports.jobs import enqueue_report_job
from app.reports.schemas import ReportKind
from app.reports.service import generate_report
from tests import db_harness
from tests.conftest import REAL_CHECKLISTS
from tests.institution_libraries.helpers import renamed
from tests.security.routes import app_routes
from tests.web.checks import axe_violations
from tests.web.conftest import SCREENSHOTS, _free_port

WIDTHS = (390, 1366)
CHAMPION, ADMIN, PHARMACY, NOBODY = ("champion@riverside.example", "admin@riverside.example",
                                     "pharmacy@riverside.example", "")

# (name, persona, path with {program}, {institution}, {item}, {scenario}, {library}, {token} filled from the demo)
PAGES = [
    ("dashboard", CHAMPION, "/"),
    ("my-work", CHAMPION, "/me"),
    ("notifications", PHARMACY, "/notifications"),  # the pharmacy lead has notifications to list
    ("queue", PHARMACY, "/queue"),
    ("libraries", CHAMPION, "/libraries"),
    ("library", CHAMPION, "/libraries/{library}"),
    ("new-program", CHAMPION, "/programs/new"),
    ("account", CHAMPION, "/account"),
    ("account-mfa", CHAMPION, "/account/mfa"),
    ("search", CHAMPION, "/search?q=pharm"),
    ("verify", CHAMPION, "/verify"),
    ("program", CHAMPION, "/programs/{program}"),
    ("item", PHARMACY, "/programs/{program}/items/{item}"),
    ("history", CHAMPION, "/programs/{program}/history"),
    ("reports", CHAMPION, "/programs/{program}/reports"),
    ("dossiers", CHAMPION, "/programs/{program}/dossiers"),
    ("planning", CHAMPION, "/programs/{program}/planning"),
    ("scenario", CHAMPION, "/programs/{program}/planning/{scenario}?run=1"),
    ("scenario-capacity", CHAMPION, "/programs/{program}/planning/{capacity}?run=1"),
    ("new-scenario", CHAMPION, "/programs/{program}/planning/new/capacity"),
    ("new-scenario-reimbursement", CHAMPION, "/programs/{program}/planning/new/reimbursement"),
    ("library-upgrade", CHAMPION, "/programs/{program}/library"),
    ("library-upgrade-diff", CHAMPION, "/programs/{older}/library"),
    ("local-item-form", CHAMPION, "/programs/{program}/local-items/new"),
    ("admin-index", ADMIN, "/admin"),
    ("institution-admin", ADMIN, "/institutions/{institution}/admin"),
    ("admin-security", ADMIN, "/institutions/{institution}/admin/security"),
    ("packets", ADMIN, "/institutions/{institution}/packets"),
    ("error-404", CHAMPION, "/no-such-page-at-all"),
    ("login", NOBODY, "/login"),
    ("invitation", NOBODY, "/invitations/{token}"),
    ("invitation-invalid", NOBODY, "/invitations/not-a-real-token"),
    ("confirm-role-removal", ADMIN, "/institutions/{institution}/admin/members/{member}/roles/pharmacy_lead/remove"),
    ("confirm-invitation-revoke", ADMIN, "/institutions/{institution}/admin/invitations/{invitation}/revoke"),
    ("confirm-scenario-delete", CHAMPION, "/programs/{program}/planning/{scenario}/delete"),
    ("report-job", CHAMPION, "/programs/{program}/report-jobs/{job}"),
]

# Pages whose tables become cards on a phone (issue 17): at 390 px they also pass axe-core's WCAG AA rules, so a
# visible column label never replaces the label an input in a card is tied to.
CARD_PAGES = {"dashboard", "notifications", "queue", "libraries", "library", "account", "reports", "dossiers",
              "planning", "scenario", "scenario-capacity", "new-scenario", "new-scenario-reimbursement",
              "library-upgrade-diff", "admin-security"}

# Web routes answering GET that are not pages a person reads, or are covered by a page above.
NOT_PAGES = {
    "/docs": "the API's Swagger UI (vendored; its own layout)",
    "/calendar/{token}.ics": "an iCalendar file",
    "/auth/sso/login": "a redirect to the identity provider",
    "/auth/sso/callback": "a redirect back from the identity provider",
    "/auth/sso/confirmed": "needs a pending SSO signature",
    "/login/mfa": "needs a half-finished login with two-factor authentication",
    "/notifications/unsubscribe/{token}": "needs an emailed unsubscribe token",
    "/institutions/{institution_id}/packets/{packet_kind}.yaml": "a YAML download",
    "/programs/{program_id}/local-items/{key}/edit": "the local item form, as on the new-local-item page",
    # Confirmation pages share one template (confirm.html): three are walked above, these need more records.
    "/account/tokens/{token_id}/revoke": "a confirmation page (needs a token)",
    "/institutions/{institution_id}/admin/committees/{slug}/members/{user_id}/remove": "a confirmation page",
    "/institutions/{institution_id}/admin/security/service-accounts/{service_account_id}/revoke": "a confirmation page",
}

OVERFLOW_JS = """() => {
  const limit = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > limit + 1 && e.getClientRects().length)
    .filter(e => !e.closest('.visually-hidden, .skip-link'))
    .map(e => {
      const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim()
           ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
      return name + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + 'px)';
    });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, wide: wide.slice(0, 8)};
}"""

# Elements that scroll sideways inside the page (issue 17: tables become cards or fit): every table and .table-wrap,
# and anything else the style lets scroll, whose content is wider than its box. Also how many rows each table has.
SCROLLERS_JS = """() => {
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
    + (e.getAttribute('aria-labelledby') ? '[aria-labelledby=' + e.getAttribute('aria-labelledby') + ']' : '');
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  return [...document.querySelectorAll('main *')]
    .filter(e => e.matches('table, .table-wrap') || scrolls(e))
    .filter(e => e.getClientRects().length && !e.closest('.visually-hidden'))
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => name(e) + ' (' + e.scrollWidth + ' px of content in ' + e.clientWidth + ' px)');
}"""


@dataclass
class DemoSite:
    base_url: str
    values: dict[str, str]
    contexts: dict[tuple[str, int], BrowserContext] = field(default_factory=dict)


def _demo_values(session: Session, settings: Settings, app_catalog: object) -> dict[str, str]:
    program = seed_demo(session, app_catalog, LocalStorage(settings.evidence_dir))  # type: ignore[arg-type]
    champion = session.scalars(select(User).where(col(User.email) == CHAMPION)).one()
    admin = session.scalars(select(User).where(col(User.email) == ADMIN)).one()
    signed = session.scalars(select(ProgramItem).where(col(ProgramItem.program_id) == program.id,
                                                       col(ProgramItem.status) == "signed_off")
                             .order_by(col(ProgramItem.position))).first()
    scenarios = {s.kind: s for s in session.scalars(select(PlanningScenario)
                                                    .where(col(PlanningScenario.program_id) == program.id))}
    scenario, capacity = scenarios.get(ScenarioKind.REIMBURSEMENT), scenarios.get(ScenarioKind.CAPACITY)
    generate_report(session, app_catalog, champion, program,  # type: ignore[arg-type]
                    ReportKind.FULL, "Steering committee")
    invitation, token = create_invitation(session, admin, program.institution_id, "new.nurse@riverside.example",
                                          "New Nurse", [Role.VIEWER])
    pharmacy = session.scalars(select(User).where(col(User.email) == PHARMACY)).one()
    job = enqueue_report_job(session, champion, program, ReportKind.FULL, "Finance committee")
    # Rows for the lists the demo leaves empty, so the walk sees each table with data (issue 17: cards on a phone):
    # a token and a calendar feed (account), a service account, an institution's own library, a dossier, and a
    # program pinned to an older library version (its upgrade page lists changed items).
    create_api_token(session, champion, "Nightly export")
    create_feed(session, champion)
    create_service_account(session, admin, program.institution_id, "Data warehouse", Access.READ)
    import_library(session, app_catalog, admin, program.institution_id,  # type: ignore[arg-type]
                   renamed(get_library(app_catalog, program.library_id, program.library_version),  # type: ignore[arg-type]
                           "riverside-gt"), "riverside-gt.xlsx")
    _, spool = generate_dossier(session, app_catalog, LocalStorage(settings.evidence_dir),  # type: ignore[arg-type]
                                champion, program, program.products[0])
    spool.close()
    older = create_program(session, app_catalog, program.institution_id,  # type: ignore[arg-type]
                           ProgramCreate(title="Hemophilia B, pinned to an older library", library_id="hemophilia-gt",
                                         library_version="1.1.0", products=["hemgenix"], care_role=CareRole.HUB),
                           champion)
    session.commit()
    assert signed is not None and scenario is not None and capacity is not None
    return {"program": str(program.id), "institution": str(program.institution_id), "item": signed.key,
            "scenario": str(scenario.id), "capacity": str(capacity.id), "older": str(older.id),
            "library": f"{program.library_id}/{program.library_version}",
            "token": token, "invitation": str(invitation.id), "member": str(pharmacy.id), "job": str(job.id)}


@pytest.fixture(scope="module")
def demo_site(template_url: str, tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[DemoSite]:
    folder = tmp_path_factory.mktemp("phone")
    if db_harness.USE_POSTGRES:  # a database of its own: other tests in this worker empty theirs between tests
        url = db_harness.postgres_database(f"phone_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
        migrate.upgrade(Settings(database_url=url))
    else:
        url = db_harness.per_test_url(template_url, folder)
    settings = Settings(database_url=url, checklists_dir=REAL_CHECKLISTS, data_dir=folder / "data")
    app = create_app(settings)
    with Session(app.state.engine, expire_on_commit=False) as session:
        values = _demo_values(session, settings, app.state.catalog)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "live server did not start"
        time.sleep(0.02)
    site = DemoSite(f"http://127.0.0.1:{port}", values)
    yield site
    for context in site.contexts.values():
        context.close()
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()
    if db_harness.USE_POSTGRES:
        db_harness.drop_postgres_database(url)


def context_for(site: DemoSite, browser: Browser, persona: str, width: int) -> BrowserContext:
    """One logged-in browser per demo person and width, reused by every page they open."""
    if (persona, width) not in site.contexts:
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900})
        if persona:
            page = context.new_page()
            page.goto(f"{site.base_url}/login")
            page.get_by_label("Email").fill(persona)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            page.close()
        site.contexts[(persona, width)] = context
    return site.contexts[(persona, width)]


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "persona", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_no_wider_than_the_screen(
    demo_site: DemoSite, browser: Browser, name: str, persona: str, path: str, width: int
) -> None:
    page = context_for(demo_site, browser, persona, width).new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(demo_site.base_url + path.format(**demo_site.values))
        page.wait_for_load_state("networkidle")  # htmx has loaded what it loads after the page
        assert "/login" not in page.url or persona == NOBODY, f"{name}: {persona} was sent to the login page"
        found = page.evaluate(OVERFLOW_JS)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"width-{width}-{name}.png"  # a very tall page (the program's) only its first screen
        page.screenshot(path=str(shot), full_page=page.evaluate("document.body.scrollHeight") < 8000)
        assert found["scrollWidth"] <= found["innerWidth"], (
            f"the {name} page ({path}) is {found['scrollWidth']} px wide at {width} px as {persona or 'a visitor'}; "
            f"sticking out: {', '.join(found['wide']) or 'nothing visible (an off-screen element)'}; see {shot}")
        if width < 600:
            scrolling = page.evaluate(SCROLLERS_JS)
            assert scrolling == [], (
                f"on the {name} page ({path}) at {width} px these scroll sideways: {', '.join(scrolling)}; see {shot}")
        if width < 600 and name in CARD_PAGES:
            problems = axe_violations(page)
            assert problems == [], f"the {name} page ({path}) at {width} px: " + "; ".join(problems)
    finally:
        page.close()


def test_every_page_of_the_web_app_is_walked() -> None:
    """A page added to the web app is added to PAGES above (or to NOT_PAGES with the reason)."""
    app = create_app(Settings(database_url="sqlite://", checklists_dir=REAL_CHECKLISTS))
    walked = {path.split("?")[0] for _, _, path in PAGES}
    pattern = {"{program}": "{program_id}", "{institution}": "{institution_id}", "{item}": "{key}",
               "{scenario}": "{scenario_id}", "{capacity}": "{scenario_id}", "{older}": "{program_id}",
               "{library}": "{library_id}/{version}", "{member}": "{user_id}",
               "{invitation}": "{invitation_id}", "{job}": "{job_id}", "/roles/pharmacy_lead/": "/roles/{role}/"}
    for ours, theirs in pattern.items():
        walked = {p.replace(ours, theirs) for p in walked}
    walked = {p.replace("/planning/new/capacity", "/planning/new/{kind}")
              .replace("/planning/new/reimbursement", "/planning/new/{kind}") for p in walked}
    pages = {r.path for r in app_routes(app) if r.method == "GET" and r.is_web}
    missing = sorted(pages - walked - set(NOT_PAGES) - {"/invitations/not-a-real-token"})
    assert missing == [], f"pages the phone-width walk does not open; add them to PAGES: {missing}"
