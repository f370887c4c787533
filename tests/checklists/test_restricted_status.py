"""Product status `restricted` (issue 19): a product whose label narrowed the patients it may treat (Elevidys since
14 Nov 2025, Skysona since 7 Aug 2025). It loads with a date and a source like the other statuses, can start a
program (unlike a discontinued one), keeps its pre-dose items, and every place that shows a status says it with
what to do: the API's program warnings, the program and library pages."""

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.checklists.loader import load_catalog, load_path
from app.checklists.schema import ProductStatus
from tests.checklists.test_loader import edit, error_of, line_of
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution, make_user
from tests.web.form_client import FormClient

LIFECYCLE = Path(__file__).parents[1] / "fixtures" / "lifecycle" / "lifecycle"
CHAMPION = "champion@restricted.example"
ELEVIDYS_WARNING = (
    "Elevidys (delandistrogene moxeparvovec-rokl) is restricted since 2025-11-14 (source: FDA Elevidys label change "
    "2025): Since 14 November 2025 indicated only for ambulatory patients 4 years of age and older"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "lifecycle" / "1.1.0"
    shutil.copytree(LIFECYCLE / "1.1.0", target)
    edit(target / "library.yaml", "status: divesting", "status: restricted")
    return target


def test_a_restricted_product_loads_and_keeps_its_pre_dose_items(folder: Path) -> None:
    (library,) = load_path(folder)
    roctavian = library.product("roctavian")
    assert roctavian is not None and roctavian.status == ProductStatus.RESTRICTED
    assert not roctavian.discontinued
    assert roctavian.status_action() == "Check each patient against the restricted indication before ordering."


def test_a_restricted_product_keeps_its_pre_dose_items() -> None:
    systemic = load_catalog(REAL_CHECKLISTS).latest("systemic-aav")
    assert systemic is not None
    pre_dose = {i.id for i in systemic.items if i.phase == "pre_dose" and i.applies_to.products == ["elevidys"]}
    assert {"POL-201", "POL-202"} <= pre_dose
    assert pre_dose <= {i.id for i in systemic.applicable_items(["elevidys"], "hub", "us")}


@pytest.mark.parametrize("field", ["status_date", "status_source"])
def test_a_restricted_product_must_say_since_when_and_on_whose_word(folder: Path, field: str) -> None:
    header = folder / "library.yaml"
    lines = header.read_text().splitlines()
    roctavian = lines.index("  - id: roctavian")
    header.write_text("\n".join(line for n, line in enumerate(lines)
                                if not (n > roctavian and line.strip().startswith(f"{field}: "))) + "\n")
    error = error_of(folder)
    assert f"library.yaml line {line_of(header, 'status: restricted')}" in error
    assert f"product roctavian: {field}: required when status is restricted" in error


def test_an_unknown_status_lists_restricted_among_the_allowed(folder: Path) -> None:
    edit(folder / "library.yaml", "status: restricted", "status: limited")
    assert "unknown product status 'limited' (expected one of: active, divesting, discontinued, restricted)" in (
        error_of(folder))


def test_the_newest_libraries_mark_elevidys_and_skysona_restricted_and_the_first_versions_do_not() -> None:
    catalog = load_catalog(REAL_CHECKLISTS)
    statuses = {
        (lib.id, lib.version, p.id): (p.status, str(p.status_date), p.status_source)
        for lib in catalog.all() for p in lib.products if p.id in {"elevidys", "skysona"}
    }
    newest_systemic, newest_ex_vivo = catalog.latest("systemic-aav"), catalog.latest("ex-vivo-hsc")
    assert newest_systemic is not None and newest_ex_vivo is not None
    assert statuses[("systemic-aav", newest_systemic.version, "elevidys")] == (
        "restricted", "2025-11-14", "FDA Elevidys label change 2025")
    assert statuses[("ex-vivo-hsc", newest_ex_vivo.version, "skysona")] == (
        "restricted", "2025-08-07", "Skysona label change 2025")
    # Published 1.0.0 is never edited: it keeps the status it shipped with.
    assert statuses[("systemic-aav", "1.0.0", "elevidys")][0] == "active"
    assert statuses[("ex-vivo-hsc", "1.0.0", "skysona")][0] == "active"


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


@pytest.fixture
def champion(session: Session, client_for: Callable[[User], TestClient]) -> tuple[uuid.UUID, TestClient]:
    institution = make_institution(session, "Restricted Hospital")
    user = make_user(session, institution, roles=("champion",), email=CHAMPION, password="a long demo passphrase")
    return institution.id, client_for(user)


def test_an_elevidys_program_opens_and_warns_to_check_each_patient(
    app: FastAPI, champion: tuple[uuid.UUID, TestClient]
) -> None:
    institution_id, client = champion
    body = {"title": "Duchenne gene therapy", "library_id": "systemic-aav", "products": ["elevidys"],
            "care_role": "hub"}
    response = client.post(f"/api/institutions/{institution_id}/programs", json=body)
    assert response.status_code == 201, response.text
    (warning,) = [w for w in response.json()["warnings"] if "restricted" in w]
    assert warning.startswith(ELEVIDYS_WARNING)
    assert warning.endswith("Check each patient against the restricted indication before ordering.")
    program_id = response.json()["id"]
    page = FormClient(app, CHAMPION).get(f"/programs/{program_id}")
    assert page.status_code == 200 and "Check each patient against the restricted indication" in page.text


def test_the_library_page_shows_the_restricted_badge_and_why(
    app: FastAPI, champion: tuple[uuid.UUID, TestClient]
) -> None:
    catalog = load_catalog(REAL_CHECKLISTS)
    newest = catalog.latest("ex-vivo-hsc")
    assert newest is not None
    page = FormClient(app, CHAMPION).get(f"/libraries/ex-vivo-hsc/{newest.version}")
    assert page.status_code == 200
    assert '<span class="badge major">Restricted</span>' in page.text
    assert "restricted since 2025-08-07 (source: Skysona label change 2025)" in page.text
