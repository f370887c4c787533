"""Content rules for the core checklist library hemophilia-gt 1.0.0.

These tests read the real YAML under checklists/ through the loader, so a library that does not load fails
every test here. Each test checks one rule a reviewer of the content would otherwise check by hand.
"""

import re
from collections import Counter
from pathlib import Path

import pytest

from app.checklists.loader import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_NOTES = REPO_ROOT.parent / "shared" / "domain" / "gene-therapy-readiness.md"

LIBRARY_ID = "hemophilia-gt"
LIBRARY_VERSION = "1.0.0"

MIN_CORE_ITEMS = {"pharmacy": 25, "policy": 20, "education": 15, "followup": 15, "payer": 15}
ID_PREFIX = {"pharmacy": "PHARM", "policy": "POL", "education": "EDU", "followup": "FU", "payer": "PAY"}
SIGNOFF_ROLES_BY_AREA = {
    "pharmacy": {"pharmacy_lead", "policy_lead", "champion"},
    "policy": {"policy_lead", "champion"},
    "education": {"education_lead"},
    "followup": {"followup_coordinator"},
    "payer": {"finance_lead", "champion"},
}

# Items built on facts the domain notes mark "unverified": each must say so in its own text.
UNVERIFIED_ITEM_IDS = [
    "PHARM-006",  # storage temperatures per product
    "PHARM-012",  # BSL-1 agent handled with BSL-2 practices
    "PHARM-013",  # whether USP <800> applies
    "PHARM-016",  # Beqvez preparation details
    "PHARM-018",  # time limits after preparation
    "PHARM-101",  # Hemgenix 2-8 °C
    "PHARM-102",  # Hemgenix 24 h after dilution
    "PHARM-201",  # Beqvez -100 to -60 °C
    "PHARM-203",  # Beqvez preparation details
    "PHARM-301",  # Roctavian <= -60 °C
    "PHARM-303",  # Roctavian preparation details
    "POL-013",  # semen-donation period per label
    "POL-021",  # site qualification for Roctavian and Beqvez
    "POL-303",  # Roctavian observation of at least 3 h
    "EDU-012",  # annual refresher
    "FU-001",  # LTFU duration for AAV, Roctavian registry length
    "FU-102",  # Hemgenix HCC surveillance for 5 years
    "FU-203",  # Beqvez follow-up program after the maker's exit
    "FU-304",  # Roctavian 15-year registry
    "PAY-011",  # billing codes
    "PAY-101",  # J1411
    "PAY-201",  # J1413 and Beqvez price
    "PAY-302",  # Roctavian price and US warranty terms
]

# Text fragments of facts the domain notes mark "unverified": any item quoting one must say "unverified".
UNVERIFIED_FRAGMENTS = ["2–8 °C", "−60", "J1411", "J1413", "2.9M", "24 h ", "24-hour", "BSL-", "USP <800>"]


@pytest.fixture(scope="module")
def library():
    catalog = load_catalog(REPO_ROOT / "checklists")
    return catalog.get(LIBRARY_ID, LIBRARY_VERSION)


def _is_core(item) -> bool:
    return not item.applies_to.products


def _is_hub_only(item) -> bool:
    return item.applies_to.care_roles == ["hub"]


def _is_overlay_for(item, product: str) -> bool:
    return bool(item.applies_to.products) and product in item.applies_to.products


def _text(item) -> str:
    return " ".join([item.title, item.done_when, item.why])


def _ids(items) -> set[str]:
    return {item.id for item in items}


def test_library_offers_the_three_products_and_five_areas(library):
    assert {p.id for p in library.products} == {"hemgenix", "beqvez", "roctavian"}
    assert [a.id for a in library.areas] == ["pharmacy", "policy", "education", "followup", "payer"]


@pytest.mark.parametrize(("area", "minimum"), sorted(MIN_CORE_ITEMS.items()))
def test_core_items_meet_the_depth_of_each_area(library, area, minimum):
    core = [item for item in library.items if item.area == area and _is_core(item)]
    assert len(core) >= minimum, f"{area}: {len(core)} core items, need {minimum}"


def test_item_ids_use_the_prefix_of_their_area(library):
    wrong = [item.id for item in library.items if not re.fullmatch(rf"{ID_PREFIX[item.area]}-\d{{3}}", item.id)]
    assert wrong == []


def test_overlay_items_name_exactly_one_product_and_use_ids_above_100(library):
    overlays = [item for item in library.items if not _is_core(item)]
    assert overlays, "expected product overlay items"
    for item in overlays:
        assert len(item.applies_to.products) == 1, item.id
        assert int(item.id.split("-")[1]) > 100, item.id
    for product in ("hemgenix", "beqvez", "roctavian"):
        assert any(_is_overlay_for(item, product) for item in overlays), product


def test_core_items_use_ids_below_100(library):
    assert [item.id for item in library.items if _is_core(item) and int(item.id.split("-")[1]) >= 100] == []


def test_every_item_cites_at_least_one_reference(library):
    assert [item.id for item in library.items if not item.references] == []


def test_references_are_short_names_from_the_domain_notes(library):
    if not DOMAIN_NOTES.exists():
        pytest.skip(f"{DOMAIN_NOTES} not present")
    known = set(re.findall(r"^- \[([^\]]+)\]", DOMAIN_NOTES.read_text(encoding="utf-8"), re.MULTILINE))
    assert known, "no sources parsed from the domain notes"
    unknown = {(item.id, ref) for item in library.items for ref in item.references if ref not in known}
    assert unknown == set()


def test_titles_are_unique(library):
    counts = Counter(item.title.strip().lower() for item in library.items)
    assert [title for title, n in counts.items() if n > 1] == []


def test_signoff_roles_fit_the_area(library):
    misfits = [
        (item.id, item.signoff_role)
        for item in library.items
        if item.signoff_role not in SIGNOFF_ROLES_BY_AREA[item.area]
    ]
    assert misfits == []


def test_every_blocker_requires_evidence(library):
    assert [item.id for item in library.items if item.criticality == "blocker" and not item.evidence] == []


def test_blockers_are_roughly_a_quarter_to_two_fifths_of_items(library):
    share = sum(item.criticality == "blocker" for item in library.items) / len(library.items)
    assert 0.25 <= share <= 0.40, f"blocker share {share:.0%}"


def test_agreements_and_qualified_equipment_lapse(library):
    for item in library.items:
        if "contract" in item.evidence:
            assert item.renewal_months is not None and 12 <= item.renewal_months <= 36, item.id
        if "equipment_qualification" in item.evidence:
            assert item.renewal_months == 12, item.id


def test_items_built_on_unverified_facts_say_unverified(library):
    by_id = {item.id: item for item in library.items}
    for item_id in UNVERIFIED_ITEM_IDS:
        assert item_id in by_id, item_id
        assert "unverified" in _text(by_id[item_id]).lower(), item_id


def test_items_quoting_an_unverified_fact_say_unverified(library):
    for item in library.items:
        text = _text(item)
        if any(fragment in text for fragment in UNVERIFIED_FRAGMENTS):
            assert "unverified" in text.lower(), item.id


def test_hemgenix_spoke_and_roctavian_hub_get_different_items(library):
    spoke = library.applicable_items(["hemgenix"], "spoke")
    hub = library.applicable_items(["roctavian"], "hub")
    assert _ids(spoke) != _ids(hub)


def test_spoke_program_gets_no_hub_only_items(library):
    spoke = library.applicable_items(["hemgenix"], "spoke")
    assert [item.id for item in spoke if _is_hub_only(item)] == []


def test_spoke_program_gets_no_items_for_products_it_does_not_offer(library):
    spoke = library.applicable_items(["hemgenix"], "spoke")
    assert [item.id for item in spoke if _is_overlay_for(item, "roctavian")] == []
    assert [item.id for item in spoke if _is_overlay_for(item, "beqvez")] == []


def test_hemgenix_spoke_gets_the_hemgenix_followup_overlay(library):
    followup_overlay = {
        item.id for item in library.items if item.area == "followup" and _is_overlay_for(item, "hemgenix")
    }
    assert followup_overlay, "expected Hemgenix follow-up overlay items"
    assert followup_overlay <= _ids(library.applicable_items(["hemgenix"], "spoke"))


def test_spoke_program_gets_items_in_every_area(library):
    spoke = library.applicable_items(["hemgenix"], "spoke")
    per_area = Counter(item.area for item in spoke)
    for area in MIN_CORE_ITEMS:
        assert per_area[area] >= 3, f"spoke sees {per_area[area]} {area} items"


def test_hub_and_spoke_each_have_their_own_agreement_item(library):
    policy = [item for item in library.items if item.area == "policy" and "contract" in item.evidence]
    assert any(item.applies_to.care_roles == ["hub"] for item in policy)
    assert any(item.applies_to.care_roles == ["spoke"] for item in policy)


def test_roctavian_hub_gets_roctavian_storage_and_antibody_items(library):
    hub = _ids(library.applicable_items(["roctavian"], "hub"))
    by_id = {item.id: item for item in library.items}
    storage, antibody_test = by_id["PHARM-301"], by_id["POL-301"]
    assert storage.applies_to.products == ["roctavian"] and "freezer" in storage.title.lower()
    assert antibody_test.applies_to.products == ["roctavian"] and "AAV5" in antibody_test.title
    assert {"PHARM-301", "POL-301"} <= hub


def test_roctavian_hub_gets_no_hemgenix_overlay_items(library):
    hub = library.applicable_items(["roctavian"], "hub")
    assert [item.id for item in hub if _is_overlay_for(item, "hemgenix")] == []


def test_the_shipped_tree_validates_through_the_cli() -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["checklists", "validate", str(REPO_ROOT / "checklists")])
    assert result.exit_code == 0 and "ok  hemophilia-gt 1.0.0: 156 items in 5 areas" in result.output
