"""The shipped readiness library: deep enough, sourced, plainly applicable to the right programs."""

import re
from collections import Counter
from pathlib import Path

import pytest

from app.checklists.loader import load_catalog
from app.checklists.schema import ItemDef, Library
from app.config import PROJECT_ROOT

DOMAIN_NOTES = PROJECT_ROOT.parent / "shared" / "domain" / "gene-therapy-readiness.md"
MINIMUM_CORE_ITEMS = {"pharmacy": 25, "policy": 20, "education": 15, "followup": 15, "payer": 15}
ROLES_BY_AREA = {
    "pharmacy": {"pharmacy_lead", "policy_lead", "champion"},
    "policy": {"policy_lead", "champion"},
    "education": {"education_lead"},
    "followup": {"followup_coordinator"},
    "payer": {"finance_lead", "champion"},
}
# Facts the domain notes mark unverified: an item that states one must say so.
UNVERIFIED_FACTS = ["2–8 °C", "−60 °C", "−100", "24-hour", "J1411", "J1413", "at least 3 hours", "warranty",
                    "15-year Roctavian registry", "BSL-1"]


@pytest.fixture(scope="module")
def library() -> Library:
    found = load_catalog(PROJECT_ROOT / "checklists").get("hemophilia-gt", "1.0.0")
    assert found is not None
    return found


def text_of(item: ItemDef) -> str:
    return " ".join([item.title, item.done_when, item.why])


def keys(items: list[ItemDef]) -> set[str]:
    return {item.id for item in items}


def test_core_items_per_area_meet_the_depth_asked_for(library: Library) -> None:
    core = Counter(item.area for item in library.items if item.applies_to.products is None)
    for area, minimum in MINIMUM_CORE_ITEMS.items():
        assert core[area] >= minimum, f"{area}: {core[area]} core items, need {minimum}"


def test_every_item_cites_a_source_from_the_domain_notes(library: Library) -> None:
    if not DOMAIN_NOTES.exists():
        pytest.skip("shared/domain notes are not beside this checkout")
    sources = set(re.findall(r"^- \[([^\]]+)\]", DOMAIN_NOTES.read_text(), flags=re.MULTILINE))
    assert len(sources) > 15
    for item in library.items:
        unknown = [ref for ref in item.references if ref not in sources]
        assert item.references and not unknown, f"{item.id} cites unknown sources {unknown}"


def test_titles_are_unique(library: Library) -> None:
    duplicates = [title for title, n in Counter(i.title.lower() for i in library.items).items() if n > 1]
    assert duplicates == []


def test_sign_off_roles_are_held_by_someone_in_that_area(library: Library) -> None:
    for item in library.items:
        assert item.signoff_role in ROLES_BY_AREA[item.area], f"{item.id}: {item.signoff_role}"


def test_every_blocker_asks_for_evidence(library: Library) -> None:
    assert [i.id for i in library.items if i.criticality == "blocker" and not i.evidence] == []


def test_blockers_are_a_minority(library: Library) -> None:
    share = sum(i.criticality == "blocker" for i in library.items) / len(library.items)
    assert 0.25 <= share <= 0.45


def test_unverified_facts_are_labelled_as_such(library: Library) -> None:
    for item in library.items:
        for fact in UNVERIFIED_FACTS:
            if fact in text_of(item):
                assert "unverified" in text_of(item), f"{item.id} states '{fact}' as certain"


def test_hemgenix_spoke_and_roctavian_hub_get_different_right_sets(library: Library) -> None:
    spoke = library.applicable_items(["hemgenix"], "spoke")
    hub = library.applicable_items(["roctavian"], "hub")
    spoke_keys, hub_keys = keys(spoke), keys(hub)
    hub_only = {i.id for i in library.items if i.applies_to.care_roles == ["hub"]}
    assert spoke_keys.isdisjoint(hub_only)
    assert {"FU-101", "POL-018", "EDU-017", "PHARM-030"} <= spoke_keys  # Hemgenix follow-up, spoke duties
    assert {"PHARM-101", "POL-101", "FU-111", "PHARM-111"}.isdisjoint(spoke_keys)
    assert {"PHARM-111", "PHARM-112", "POL-111", "POL-112", "FU-111"} <= hub_keys  # Roctavian specifics
    assert {"PHARM-101", "POL-101", "FU-101", "PHARM-121", "POL-018"}.isdisjoint(hub_keys)
    assert {item.area for item in spoke} == set(MINIMUM_CORE_ITEMS)  # a spoke has work in every area
    assert len(hub) > 2 * len(spoke)


def test_overlay_items_belong_to_one_product(library: Library) -> None:
    overlays = [i for i in library.items if i.applies_to.products is not None]
    assert len(overlays) >= 15
    assert all(len(i.applies_to.products or []) == 1 for i in overlays)
    per_product = Counter((i.applies_to.products or [""])[0] for i in overlays)
    assert set(per_product) == {"hemgenix", "roctavian", "beqvez"}


def test_library_validates_through_the_cli_command() -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["checklists", "validate", str(Path(PROJECT_ROOT / "checklists"))])
    assert result.exit_code == 0 and "ok  hemophilia-gt 1.0.0" in result.output
