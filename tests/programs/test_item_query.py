"""The program page's item table: search, chips, sort and pages in SQL; the blockers chip is the gate's own set."""

from datetime import date

from fastapi import FastAPI
from sqlmodel import Session

from app.programs import item_query, readiness
from app.programs.item_query import ItemSelection, ItemTableQuery
from app.programs.schemas import ItemUpdate
from app.programs.service import get_program, update_item
from tests.factories import make_institution, make_program, make_user


def keys(session: Session, program_id: object, **query: object) -> list[str]:
    program = get_program(session, program_id)  # type: ignore[arg-type]
    return [i.key for i in item_query.item_table(session, program, ItemTableQuery.model_validate(query)).items]


def test_the_default_order_is_area_then_library_order(app: FastAPI, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    assert keys(session, program.id) == ["PHARM-001", "PHARM-002", "POL-001", "POL-002", "PAY-001"]


def test_search_matches_every_word_in_key_or_title_case_blind(app: FastAPI, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    assert keys(session, program.id, q="pharm-00") == ["PHARM-001", "PHARM-002"]
    assert keys(session, program.id, q="PHARM 002") == ["PHARM-002"]
    assert keys(session, program.id, q="100%_") == []  # LIKE wildcards are taken literally


def test_the_blockers_filter_selects_exactly_what_the_gate_counts(app: FastAPI, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    update_item(session, program.id, "PHARM-002", ItemUpdate(status="done"), 1)  # type: ignore[arg-type]
    gate = [b.key for b in readiness.readiness(session, program.id).gate.blocking]
    assert keys(session, program.id, blockers=True) == gate == ["PHARM-001", "POL-001"]
    update_item(session, program.id, "POL-001", ItemUpdate(status="not_applicable", na_justification="n/a"), 1)  # type: ignore[arg-type]
    assert keys(session, program.id, blockers=True) == ["PHARM-001"]


def test_sorting_by_due_date_puts_undated_items_last_in_either_direction(app: FastAPI, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    update_item(session, program.id, "POL-002", ItemUpdate(due_date=date(2030, 1, 1)), 1)
    update_item(session, program.id, "PAY-001", ItemUpdate(due_date=date(2029, 1, 1)), 1)
    assert keys(session, program.id, sort="due")[:2] == ["PAY-001", "POL-002"]
    assert keys(session, program.id, sort="due", direction="desc")[:2] == ["POL-002", "PAY-001"]
    assert keys(session, program.id, sort="key", direction="desc")[0] == "POL-002"


def test_owner_status_and_area_filters_combine(app: FastAPI, session: Session) -> None:
    institution = make_institution(session)
    sam = make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist")
    program = make_program(session, app.state.catalog, institution)
    update_item(session, program.id, "PHARM-002", ItemUpdate(owner_id=sam.id, status="in_progress"), 1)  # type: ignore[arg-type]
    update_item(session, program.id, "POL-001", ItemUpdate(owner_id=sam.id), 1)
    assert keys(session, program.id, owner_id=sam.id) == ["PHARM-002", "POL-001"]
    assert keys(session, program.id, owner_id=sam.id, status="in_progress") == ["PHARM-002"]
    assert keys(session, program.id, owner_id=sam.id, area="policy") == ["POL-001"]
    assert item_query.owners(session, program.id) == [(sam.id, "Sam Lindqvist")]
    assert keys(session, program.id, sort="owner") [:2] == ["PHARM-002", "POL-001"]


def test_pages_hold_fifty_rows_and_report_the_matching_total(app: FastAPI, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    page = item_query.item_table(session, program, ItemTableQuery(page=2))
    assert (page.items, page.total, page.pages) == ([], 5, 1)  # past the last page: empty, total still known
    assert item_query.count_matching(session, program.id, ItemSelection(q="pol")) == 2
    assert item_query.matching_keys(session, program.id, ItemSelection(area="payer")) == ["PAY-001"]
