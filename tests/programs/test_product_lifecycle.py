"""Products change status (divested, discontinued) and their facts age: programs, pages, reports and upgrades say
so. Programs also carry a jurisdiction that selects items the way the care role does."""

import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from app import migrate
from app.auth.models import User
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole, Jurisdiction
from app.clock import frozen_at
from app.config import Settings
from app.db import make_engine
from app.evidence.files import LocalStorage
from app.pagination import PageParams
from app.programs import service
from app.programs.models import Program
from app.programs.schemas import ItemFilters, ItemUpdate, ProgramCreate
from app.transfer.service import export_program, import_program
from tests import db_harness
from tests.factories import make_institution, make_user
from tests.web.form_client import FormClient

LIFECYCLE_ROOT = Path(__file__).parents[1] / "fixtures" / "lifecycle"
CHAMPION = "champion@lifecycle.example"
BEQVEZ_REFUSAL = (
    "Beqvez is discontinued since 2025-02-20 (source: NBDF Beqvez 2025): Pfizer ended commercialisation worldwide. "
    "A new program cannot offer it."
)


@pytest.fixture
def checklists_dir() -> Path:
    return LIFECYCLE_ROOT


@pytest.fixture
def champion(session: Session, client_for: Callable[[User], TestClient]) -> tuple[uuid.UUID, TestClient]:
    institution = make_institution(session, "Lifecycle Hospital")
    user = make_user(session, institution, roles=("champion",), email=CHAMPION, password="a long demo passphrase")
    return institution.id, client_for(user)


def open_program(client: TestClient, institution_id: uuid.UUID, **fields: object) -> TestClient:
    body = {"title": "Gene therapy", "library_id": "lifecycle", "products": ["hemgenix"], "care_role": "hub"}
    return client.post(f"/api/institutions/{institution_id}/programs", json=body | fields)  # type: ignore[return-value]


def keys(client: TestClient, program_id: object, **params: object) -> list[str]:
    items = client.get(f"/api/programs/{program_id}/items", params=params).json()["items"]
    return [item["key"] for item in items]


def program_before_discontinuation(app: FastAPI, session: Session, institution_id: uuid.UUID) -> Program:
    """A Beqvez program opened while only 1.0.0 shipped (Beqvez still on the market)."""
    then = Catalog({("lifecycle", "1.0.0"): app.state.catalog.get("lifecycle", "1.0.0")})
    data = ProgramCreate(title="Beqvez program", library_id="lifecycle", library_version="1.0.0",
                         products=["beqvez", "hemgenix"], care_role=CareRole.HUB)
    return service.create_program(session, then, institution_id, data)


@pytest.mark.parametrize("version", [None, "1.0.0"])
def test_a_discontinued_product_cannot_open_a_program_whatever_version_is_asked(
    champion: tuple[uuid.UUID, TestClient], version: str | None
) -> None:
    institution_id, client = champion
    response = open_program(client, institution_id, products=["hemgenix", "beqvez"], library_version=version)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "invalid", "loc": ["body", "products"], "msg": BEQVEZ_REFUSAL}]
    assert client.get(f"/api/institutions/{institution_id}/programs").json()["total"] == 0


def test_a_divesting_product_opens_with_a_warning_shown_thereafter(
    app: FastAPI, session: Session, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    response = open_program(client, institution_id, products=["roctavian"])
    assert response.status_code == 201
    warning = ("Roctavian is divesting since 2025-06-01 (source: BioMarin Q2 2025). Confirm supply before scheduling "
               "a patient.")
    assert response.json()["warnings"] == [warning]
    program_id = response.json()["id"]
    assert client.get(f"/api/programs/{program_id}").json()["warnings"] == [warning]
    page = FormClient(app, CHAMPION).get(f"/programs/{program_id}")
    assert page.status_code == 200 and warning in page.text


def test_a_program_that_already_offers_a_discontinued_product_keeps_working(
    app: FastAPI, session: Session, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    program = program_before_discontinuation(app, session, institution_id)
    assert "PAY-201" in keys(client, program.id)
    notice = "Beqvez is discontinued since 2025-02-20 (source: NBDF Beqvez 2025)"
    assert notice in client.get(f"/api/programs/{program.id}").json()["warnings"][0]
    assert notice in FormClient(app, CHAMPION).get(f"/programs/{program.id}").text
    assert client.get(f"/api/programs/{program.id}/readiness").status_code == 200
    updated = client.patch(f"/api/programs/{program.id}/items/PAY-201", json={"status": "in_progress", "version": 1})
    assert updated.status_code == 200


def test_upgrade_retires_pre_dose_items_of_a_discontinued_product_and_keeps_its_follow_up(
    app: FastAPI, session: Session, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    program = program_before_discontinuation(app, session, institution_id)
    for key in ("PAY-201", "FU-201"):
        current = service.get_item(session, program.id, key)
        service.update_item(session, program.id, key, ItemUpdate(status="in_progress", notes=f"work on {key}"),
                            current.version)
    diff = client.get(f"/api/programs/{program.id}/library-diff", params={"to_version": "1.1.0"}).json()
    assert sorted(i["key"] for i in diff["removed"]) == ["PAY-201", "PHARM-201"]
    assert [c["key"] for c in diff["changed"]] == ["PHARM-001"] and diff["added"] == []
    upgraded = client.post(f"/api/programs/{program.id}/library-upgrade", json={"to_version": "1.1.0"})
    assert upgraded.status_code == 200 and upgraded.json() == diff
    assert keys(client, program.id) == ["PHARM-001", "PHARM-101", "FU-001", "FU-201", "PAY-001"]
    retired = client.get(f"/api/programs/{program.id}/items/PAY-201").json()
    assert (retired["retired"], retired["status"], retired["notes"]) == (True, "in_progress", "work on PAY-201")
    follow_up = client.get(f"/api/programs/{program.id}/items/FU-201").json()
    assert (follow_up["retired"], follow_up["status"], follow_up["notes"]) == (False, "in_progress", "work on FU-201")


def test_a_pre_dose_item_shared_with_an_active_product_stays_for_programs_offering_that_product(
    app: FastAPI,
) -> None:
    library = app.state.catalog.get("lifecycle", "1.1.0")
    shared = library.items[1].model_copy(update={"applies_to": library.items[1].applies_to.model_copy(
        update={"products": ["beqvez", "hemgenix"]})})
    changed = library.model_copy(update={"items": [shared]})
    assert [i.id for i in changed.applicable_items(["beqvez", "hemgenix"], "hub")] == ["PHARM-101"]
    assert changed.applicable_items(["beqvez"], "hub") == []


def test_jurisdiction_selects_items_like_the_care_role(champion: tuple[uuid.UUID, TestClient]) -> None:
    institution_id, client = champion
    us = open_program(client, institution_id)
    eu = open_program(client, institution_id, jurisdiction="eu_uk")
    assert (us.status_code, eu.status_code) == (201, 201)
    assert (us.json()["jurisdiction"], eu.json()["jurisdiction"]) == ("us", "eu_uk")
    assert "PAY-001" in keys(client, us.json()["id"]) and "PAY-002" not in keys(client, us.json()["id"])
    assert "PAY-002" in keys(client, eu.json()["id"]) and "PAY-001" not in keys(client, eu.json()["id"])


def test_an_unknown_jurisdiction_or_one_the_library_lacks_is_refused(
    champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    unknown = open_program(client, institution_id, jurisdiction="mars")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "jurisdiction"]
    lacking = open_program(client, institution_id, library_version="1.0.0", jurisdiction="eu_uk")
    assert lacking.status_code == 422
    assert lacking.json()["detail"][0]["msg"] == (
        "library lifecycle 1.0.0 has no items for jurisdiction 'eu_uk' (it covers: us)"
    )


def test_overdue_product_fact_reviews_show_in_the_api_pages_and_program(
    app: FastAPI, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    summaries = {(s["id"], s["version"]): s for s in client.get("/api/libraries").json()}
    assert summaries[("lifecycle", "1.1.0")]["overdue_reviews"] == [
        {"product": "hemgenix", "name": "Hemgenix", "review_by": "2020-01-31"}
    ]
    assert summaries[("lifecycle", "1.0.0")]["overdue_reviews"] == []
    with frozen_at(datetime(2020, 1, 31, 12, tzinfo=UTC)):  # due that day, not yet overdue
        assert client.get("/api/libraries").json()[1]["overdue_reviews"] == []
    browser = FormClient(app, CHAMPION)
    assert "Hemgenix: facts overdue for review (due 2020-01-31)" in browser.get("/libraries").text
    library_page = browser.get("/libraries/lifecycle/1.1.0").text
    assert "Product facts overdue for review" in library_page and "Hemgenix: review was due by 2020-01-31" in (
        library_page
    )
    program_id = open_program(client, institution_id).json()["id"]
    notice = ("Hemgenix: product facts were due for review by 2020-01-31; check them against the current label "
              "before relying on them.")
    assert client.get(f"/api/programs/{program_id}").json()["warnings"] == [notice]
    assert notice in browser.get(f"/programs/{program_id}").text


def test_the_report_states_jurisdiction_product_supply_and_overdue_reviews(
    app: FastAPI, session: Session, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    program_id = open_program(client, institution_id, products=["hemgenix", "roctavian"], jurisdiction="eu_uk").json()[
        "id"
    ]
    for kind in ("full", "executive"):
        made = client.post(f"/api/programs/{program_id}/reports", json={"kind": kind})
        assert made.status_code == 201, made.text
        pdf = client.get(f"/api/reports/{made.json()['number']}/pdf").content
        text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
        assert "EU / UK" in text
        assert "Product facts overdue for review" in text and "Hemgenix: product facts were due for review" in text
        assert "Roctavian is divesting since 2025-06-01 (source: BioMarin Q2 2025)" in text
        verified = client.get("/api/reports/verify", params={"number": made.json()["number"]}).json()
        assert verified["matches"] is True


def test_the_new_program_form_offers_jurisdictions_and_shows_a_refusal_next_to_products(
    app: FastAPI, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, _ = champion
    browser = FormClient(app, CHAMPION)
    form = browser.get("/programs/new").text
    assert 'name="jurisdiction" value="eu_uk"' in form and "EU / UK" in form
    assert "Beqvez is discontinued since 2025-02-20" in form  # said before anyone ticks it
    refused = browser.post("/programs/new", {"institution_id": str(institution_id), "title": "Beqvez program",
                                             "library_id": "lifecycle", "products": "beqvez", "care_role": "hub",
                                             "jurisdiction": "us"})
    assert refused.status_code == 422
    assert f'<div class="field-error" id="products-error">{BEQVEZ_REFUSAL}</div>' in refused.text
    opened = browser.post("/programs/new", {"institution_id": str(institution_id), "title": "EU program",
                                            "library_id": "lifecycle", "products": "hemgenix", "care_role": "hub",
                                            "jurisdiction": "eu_uk"})
    assert opened.status_code == 303
    page = browser.get(opened.headers["location"]).text
    assert '<span id="jurisdiction">EU / UK</span>' in page


def test_export_and_import_carry_the_jurisdiction(
    app: FastAPI, session: Session, tmp_path: Path, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    program_id = uuid.UUID(open_program(client, institution_id, jurisdiction="eu_uk").json()["id"])
    archive = io.BytesIO()
    export_program(session, LocalStorage(app.state.settings.evidence_dir), program_id, archive)
    url = db_harness.fresh_database_url(tmp_path, f"restore_{uuid.uuid4().hex[:10]}")
    settings = Settings(database_url=url, checklists_dir=LIFECYCLE_ROOT, data_dir=tmp_path / "target")
    migrate.upgrade(settings)
    engine = make_engine(settings)
    try:
        with Session(engine) as target:
            archive.seek(0)
            import_program(target, app.state.catalog, LocalStorage(settings.evidence_dir), archive)
            restored = service.get_program(target, program_id)
            assert restored.jurisdiction == Jurisdiction.EU_UK
            assert "PAY-002" in [i.key for i in service.list_items(target, program_id, ItemFilters(), PageParams())[0]]
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)


def test_the_library_page_filters_by_jurisdiction_and_says_each_items_phase(
    app: FastAPI, champion: tuple[uuid.UUID, TestClient]
) -> None:
    browser = FormClient(app, CHAMPION)
    eu = browser.get("/libraries/lifecycle/1.1.0?jurisdiction=eu_uk").text
    assert "PAY-002" in eu and "PAY-001" not in eu
    everything = browser.get("/libraries/lifecycle/1.1.0").text
    assert "PAY-001" in everything and "United States only" in everything and "EU / UK only" in everything
    assert "After dosing" in everything and "Before dosing" in everything
    assert "Beqvez is discontinued since 2025-02-20 (source: NBDF Beqvez 2025)" in everything
