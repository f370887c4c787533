"""Content rules for the shipped checklist libraries (hemophilia-gt 1.0.0 and 1.1.0) and the planning defaults.

These tests read the real YAML under checklists/ through the loader, so a library that does not load fails every
test here. Each test checks one rule a reviewer of the content would otherwise check by hand: that every source
cited is listed in checklists/SOURCES.md (the repository's own list; nothing outside it is read), that no label is
cited for a price or a billing code, that the corrections of issue 13 are in 1.1.0, and that what our sources
could not confirm is marked "unverified" both in the item and in checklists/README.md.
"""

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.checklists.loader import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS = REPO_ROOT / "checklists"
SOURCES = CHECKLISTS / "SOURCES.md"
README = CHECKLISTS / "README.md"
DEFAULTS = CHECKLISTS / "planning-defaults.yaml"
LIBRARY_ID = "hemophilia-gt"
VERSIONS = ["1.0.0", "1.1.0"]
NEW = "1.1.0"

MIN_CORE_ITEMS = {"pharmacy": 25, "policy": 20, "education": 15, "followup": 15, "payer": 15}
ID_PREFIX = {"pharmacy": "PHARM", "policy": "POL", "education": "EDU", "followup": "FU", "payer": "PAY"}
SIGNOFF_ROLES_BY_AREA = {
    "pharmacy": {"pharmacy_lead", "policy_lead", "champion"},
    "policy": {"policy_lead", "champion"},
    "education": {"education_lead"},
    "followup": {"followup_coordinator"},
    "payer": {"finance_lead", "champion"},
}

# 1.0.0 is frozen: items built on facts its notes marked "unverified", each of which says so in its own text.
UNVERIFIED_ITEM_IDS_100 = [
    "PHARM-006", "PHARM-012", "PHARM-013", "PHARM-016", "PHARM-018", "PHARM-101", "PHARM-102", "PHARM-201",
    "PHARM-203", "PHARM-301", "PHARM-303", "POL-013", "POL-021", "POL-303", "EDU-012", "FU-001", "FU-102",
    "FU-203", "FU-304", "PAY-011", "PAY-101", "PAY-201", "PAY-302",
]
# Text fragments of facts still unconfirmed: any item of that version quoting one must say "unverified".
UNVERIFIED_FRAGMENTS = {
    "1.0.0": ["2–8 °C", "−60", "J1411", "J1413", "2.9M", "24 h ", "24-hour", "BSL-", "USP <800>"],
    "1.1.0": ["2–8 °C", "−60", "24 h ", "24-hour", "BSL-", "USP <800>", "96365", "J1414", "duplicate-discount"],
}

LABEL = re.compile(r"\b(USPI|SmPC)\b")
BILLING_CODE = re.compile(r"\b[JQ]\d{4}\b")
DOLLARS = re.compile(r"\$\s?\d")
PRICE_SOURCES = {"AJMC", "Reuters Roctavian 2025", "Beqvez discontinuation coverage 2025"}
CODE_SOURCES = {
    "HCPCS J1411", "HCPCS J1413", "drugs.com Roctavian", "TMHP Roctavian 2024", "CMS JW/JZ", "BCBSNE MA M.16",
    "CareCost Hemgenix billing",
}

# Facts from the corrections of November 2026 (issue 13) and where 1.1.0 must carry them: (item ids or
# "retired" or "defaults", fragments that must all appear in the text of one of them).
CORRECTIONS = [
    (["POL-004"], ["requires no capsid antibody test", "sets no cut-off", "recorded"]),
    (["POL-104"], ["titre", "no cut-off"]),
    (["POL-301", "POL-004"], ["AAV5 DetectCDx"]),
    (["retired"], ["history of FIX inhibitors", "as close as possible", "8 weeks"]),
    (["retired"], ["J1413 is Elevidys"]),
    (["defaults"], ["J1413 is Elevidys"]),
    (["POL-103"], ["at least 3 hours"]),
    (["POL-303"], ["at least 3 hours"]),
    (["FU-201"], ["weeks 1 to 16 once or twice a week", "weeks 24, 32, 42 and 52", "one laboratory", "38 draws"]),
    (["FU-301"], ["weekly until", "week 26", "once or twice a week"]),
    (["POL-027"], ["alcohol stopped 6 to", "8 weeks", "4 to 6 weeks", "hepatology assessment"]),
    (["POL-026"], ["prednisone 60 mg", "taper", "hepatitis B", "tuberculosis", "gastric and bone protection",
                   "tacrolimus or mycophenolate", "one laboratory", "no live vaccines"]),
    (["FU-022"], ["at least 15 years", "3, 6, 12, 18 and 24 months"]),
    (["FU-023"], ["WFH Gene Therapy Registry"]),
    (["POL-036"], ["education; patient eligibility; insurance", "procurement and administration",
                   "monitoring and follow-up", "Dosing Center", "Follow-Up Center"]),
    (["POL-021"], ["site-preparedness checklists"]),
    (["PAY-021"], ["designated", "cannot be paid"]),
    (["PAY-022"], ["buy-and-bill", "specialty pharmacy"]),
    (["PAY-005"], ["antiviral", "uncontrolled HIV", "advanced liver fibrosis", "venous thrombosis",
                   "one week apart within 12"]),
    (["PAY-023"], ["340B", "orphan", "duplicate-discount"]),
    (["PAY-025"], ["JW", "JZ", "per mL"]),
    (["PAY-301"], ["mL administered or the mL thawed", "JW"]),
    (["PAY-026"], ["self-funded", "stop-loss"]),
    (["POL-012"], ["Hemlibra", "Hympavzi", "Alhemo", "Qfitlia", "boxed warning"]),
    (["POL-029"], ["Hemlibra, Hympavzi, Alhemo or", "Qfitlia"]),
    (["POL-030"], ["chromogenic assay using", "bovine reagents", "antithrombin"]),
    (["POL-009", "FU-202"], ["86%", "68%", "71%"]),
    (["POL-031"], ["psychosocial assessment", "identity", "does not respond"]),
    (["POL-013"], ["Roctavian 6 months", "one year"]),
    (["POL-032"], ["household"]),
    (["PHARM-035"], ["needlestick", "employee health"]),
    (["POL-033"], ["MedWatch"]),
    (["POL-034"], ["national reporting system", "batch number"]),
    (["POL-035"], ["patient card"]),
    (["POL-028"], ["thrombosis risk factors"]),
    (["POL-306"], ["divest", "US, Germany and Italy"]),
]


def _load(version: str) -> Any:
    return load_catalog(CHECKLISTS).get(LIBRARY_ID, version)


@pytest.fixture(scope="module", params=VERSIONS)
def library(request: pytest.FixtureRequest) -> Any:
    return _load(request.param)


@pytest.fixture(scope="module")
def new() -> Any:
    return _load(NEW)


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))


def _listed_sources() -> set[str]:
    return set(re.findall(r"^- \[([^\]]+)\]", SOURCES.read_text(encoding="utf-8"), re.MULTILINE))


def _defaults_sources(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        source = node.get("source")
        found += [source] if isinstance(source, str) else list(source or [])
        for value in node.values():
            found += _defaults_sources(value)
    elif isinstance(node, list):
        for value in node:
            found += _defaults_sources(value)
    return found


def _is_core(item: Any) -> bool:
    return not item.applies_to.products


def _is_hub_only(item: Any) -> bool:
    return item.applies_to.care_roles == ["hub"]


def _is_overlay_for(item: Any, product: str) -> bool:
    return bool(item.applies_to.products) and product in item.applies_to.products


def _text(item: Any) -> str:
    return " ".join([item.title, item.done_when, item.why])


def _ids(items: Any) -> set[str]:
    return {item.id for item in items}


def _unverified_table() -> dict[str, str]:
    """Item id → fact, from the 'Unverified facts' table of checklists/README.md."""
    section = README.read_text(encoding="utf-8").split("## Unverified facts", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, str] = {}
    for row in re.findall(r"^\|(.+)\|$", section, re.MULTILINE):
        cells = [cell.strip() for cell in row.split("|")]
        for item_id in re.findall(r"\b[A-Z]+-\d{3}\b", cells[1] if len(cells) > 1 else ""):
            listed[item_id] = cells[0]
    return listed


# --- Sources ---------------------------------------------------------------------------------------------------


def test_sources_md_lists_each_short_name_once() -> None:
    names = re.findall(r"^- \[([^\]]+)\]", SOURCES.read_text(encoding="utf-8"), re.MULTILINE)
    assert names and [name for name, n in Counter(names).items() if n > 1] == []


def test_every_library_reference_is_listed_in_sources_md() -> None:
    known = _listed_sources()
    unknown = {
        (library.key, item.id, ref)
        for library in load_catalog(CHECKLISTS).all()
        for item in library.items
        for ref in item.references
        if ref not in known
    }
    assert unknown == set()


def test_product_status_and_coverage_sources_are_listed_in_sources_md(new: Any) -> None:
    known = _listed_sources()
    cited = [p.status_source for p in new.products] + [f.source for f in new.coverage.frameworks]
    assert [name for name in cited if name not in known] == []


def test_every_planning_default_source_is_listed_in_sources_md(defaults: dict[str, Any]) -> None:
    cited = _defaults_sources(defaults)
    assert cited and [name for name in cited if name not in _listed_sources()] == []


def test_no_planning_default_cites_a_label_for_a_price_or_billing_code(defaults: dict[str, Any]) -> None:
    for product, entries in defaults["products"].items():
        for key in ("list_price_usd", "billing_code"):
            assert not [s for s in _defaults_sources(entries[key]) if LABEL.search(s)], (product, key)


def test_no_new_item_cites_only_a_label_for_a_price_or_billing_code(new: Any) -> None:
    for item in new.items:
        text = _text(item)
        if BILLING_CODE.search(text):
            assert set(item.references) & CODE_SOURCES, f"{item.id} names a billing code without a coding source"
        if DOLLARS.search(text):
            assert set(item.references) & PRICE_SOURCES, f"{item.id} quotes a price without a price source"


def test_j1413_is_nowhere_given_as_beqvez_code(new: Any, defaults: dict[str, Any]) -> None:
    assert defaults["products"]["beqvez"]["billing_code"]["value"] is None
    assert "J1413 is Elevidys" in defaults["products"]["beqvez"]["billing_code"]["note"]
    texts = [_text(item) for item in new.items] + [r.reason for r in new.retired]
    texts.append(DEFAULTS.read_text(encoding="utf-8"))
    for text in texts:
        for match in re.finditer(r"(?<!HCPCS )J1413", text):  # "HCPCS J1413" is the source's short name
            nearby = text[max(0, match.start() - 150) : match.end() + 150]
            assert "Elevidys" in nearby or "delandistrogene" in nearby, nearby


# --- Corrections of issue 13 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "fragments"), CORRECTIONS, ids=[f"{w[0]}:{f[0]}" for w, f in CORRECTIONS])
def test_each_correction_is_carried_by_the_new_version(
    new: Any, defaults: dict[str, Any], where: list[str], fragments: list[str]
) -> None:
    by_id = {item.id: _text(item) for item in new.items}
    texts = []
    for place in where:
        if place == "retired":
            texts += [r.reason for r in new.retired]
        elif place == "defaults":
            texts.append(DEFAULTS.read_text(encoding="utf-8"))
        else:
            texts.append(by_id[place])
    joined = " ".join(" ".join(t.split()) for t in texts)
    assert [f for f in fragments if f not in joined] == []


def test_products_carry_their_market_status_with_date_source_and_review(new: Any) -> None:
    status = {p.id: p.status for p in new.products}
    assert status == {"hemgenix": "active", "beqvez": "discontinued", "roctavian": "divesting"}
    for product in new.products:
        assert product.status_date and product.status_source and product.review_by, product.id
        assert product.review_by > product.status_date, product.id
    assert {str(p.status_date) for p in new.products if p.id != "hemgenix"} == {"2025-02-20", "2025-10-27"}


def test_discontinued_beqvez_keeps_only_post_dose_items_and_retires_the_rest(new: Any) -> None:
    beqvez = [item for item in new.items if _is_overlay_for(item, "beqvez")]
    assert {item.id for item in beqvez} == {"FU-201", "FU-202", "FU-203"}
    assert {item.phase for item in beqvez} == {"post_dose"}
    retired = {r.id for r in new.retired}
    assert {"PHARM-201", "PHARM-202", "PHARM-203", "POL-201", "POL-203", "EDU-201", "PAY-201"} <= retired
    assert all(r.version == NEW and r.reason.strip() for r in new.retired)
    old_ids = _ids(_load("1.0.0").items)
    assert retired <= old_ids and not retired & _ids(new.items)


def test_every_overlay_item_states_its_phase_in_the_yaml() -> None:
    folder = CHECKLISTS / LIBRARY_ID / NEW
    missing = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in (data or {}).get("items") or []:
            if (item.get("applies_to") or {}).get("products") and "phase" not in item:
                missing.append(item["id"])
    assert missing == []


def test_jurisdiction_specific_items_say_so(new: Any) -> None:
    by_id = {item.id: item for item in new.items}
    for item_id in ("FU-022", "POL-033", "POL-036", "PAY-021", "PAY-023", "PAY-025", "PAY-026"):
        assert by_id[item_id].applies_to.jurisdictions == ["us"], item_id
    for item_id in ("POL-019", "POL-034", "POL-104"):
        assert by_id[item_id].applies_to.jurisdictions == ["eu_uk"], item_id


def test_generic_hospital_items_weigh_least(new: Any) -> None:
    by_id = {item.id: item for item in new.items}
    for item_id in ("PHARM-011", "PHARM-029", "EDU-011", "FU-013", "FU-021", "POL-025"):
        assert by_id[item_id].criticality == "minor" and by_id[item_id].effective_weight == 1, item_id
    assert "EDU-012" in {r.id for r in new.retired}


def test_the_unverified_facts_in_the_readme_are_marked_in_their_items_and_no_other(new: Any) -> None:
    listed = _unverified_table()
    by_id = {item.id: item for item in new.items}
    assert listed, "no unverified facts table in checklists/README.md"
    assert [item_id for item_id in listed if item_id in by_id and "unverified" not in _text(by_id[item_id])] == []
    assert [item_id for item_id in listed if item_id not in by_id and item_id not in {r.id for r in new.retired}] == []
    saying_it = {item.id for item in new.items if "unverified" in _text(item).lower()}
    assert sorted(saying_it - set(listed)) == [], "items say 'unverified' but the README does not list them"


# --- Rules for every shipped version -----------------------------------------------------------------------------


def test_library_offers_the_three_products_and_five_areas(library: Any) -> None:
    assert {p.id for p in library.products} == {"hemgenix", "beqvez", "roctavian"}
    assert [a.id for a in library.areas] == ["pharmacy", "policy", "education", "followup", "payer"]


@pytest.mark.parametrize(("area", "minimum"), sorted(MIN_CORE_ITEMS.items()))
def test_core_items_meet_the_depth_of_each_area(library: Any, area: str, minimum: int) -> None:
    core = [item for item in library.items if item.area == area and _is_core(item)]
    assert len(core) >= minimum, f"{area}: {len(core)} core items, need {minimum}"


def test_item_ids_use_the_prefix_of_their_area(library: Any) -> None:
    wrong = [item.id for item in library.items if not re.fullmatch(rf"{ID_PREFIX[item.area]}-\d{{3}}", item.id)]
    assert wrong == []


def test_overlay_items_name_exactly_one_product_and_use_ids_above_100(library: Any) -> None:
    overlays = [item for item in library.items if not _is_core(item)]
    assert overlays, "expected product overlay items"
    for item in overlays:
        assert len(item.applies_to.products) == 1, item.id
        assert int(item.id.split("-")[1]) > 100, item.id
    for product in ("hemgenix", "beqvez", "roctavian"):
        assert any(_is_overlay_for(item, product) for item in overlays), product


def test_core_items_use_ids_below_100(library: Any) -> None:
    assert [item.id for item in library.items if _is_core(item) and int(item.id.split("-")[1]) >= 100] == []


def test_every_item_cites_at_least_one_reference(library: Any) -> None:
    assert [item.id for item in library.items if not item.references] == []


def test_titles_are_unique(library: Any) -> None:
    counts = Counter(item.title.strip().lower() for item in library.items)
    assert [title for title, n in counts.items() if n > 1] == []


def test_signoff_roles_fit_the_area(library: Any) -> None:
    misfits = [
        (item.id, item.signoff_role)
        for item in library.items
        if item.signoff_role not in SIGNOFF_ROLES_BY_AREA[item.area]
    ]
    assert misfits == []


def test_every_blocker_requires_evidence(library: Any) -> None:
    assert [item.id for item in library.items if item.criticality == "blocker" and not item.evidence] == []


def test_blockers_are_roughly_a_fifth_to_two_fifths_of_items(library: Any) -> None:
    share = sum(item.criticality == "blocker" for item in library.items) / len(library.items)
    assert 0.2 <= share <= 0.40, f"blocker share {share:.0%}"


def test_agreements_and_qualified_equipment_lapse(library: Any) -> None:
    for item in library.items:
        if "contract" in item.evidence:
            assert item.renewal_months is not None and 12 <= item.renewal_months <= 36, item.id
        if "equipment_qualification" in item.evidence:
            assert item.renewal_months == 12, item.id


def test_items_of_the_frozen_version_built_on_unverified_facts_say_unverified() -> None:
    by_id = {item.id: item for item in _load("1.0.0").items}
    for item_id in UNVERIFIED_ITEM_IDS_100:
        assert "unverified" in _text(by_id[item_id]).lower(), item_id


def test_items_quoting_an_unverified_fact_say_unverified(library: Any) -> None:
    for item in library.items:
        text = _text(item)
        if any(fragment in text for fragment in UNVERIFIED_FRAGMENTS[library.version]):
            assert "unverified" in text.lower(), item.id


def test_hemgenix_spoke_and_roctavian_hub_get_different_items(library: Any) -> None:
    spoke = library.applicable_items(["hemgenix"], "spoke")
    hub = library.applicable_items(["roctavian"], "hub")
    assert _ids(spoke) != _ids(hub)


def test_spoke_program_gets_no_hub_only_items(library: Any) -> None:
    spoke = library.applicable_items(["hemgenix"], "spoke")
    assert [item.id for item in spoke if _is_hub_only(item)] == []


def test_spoke_program_gets_no_items_for_products_it_does_not_offer(library: Any) -> None:
    spoke = library.applicable_items(["hemgenix"], "spoke")
    assert [item.id for item in spoke if _is_overlay_for(item, "roctavian")] == []
    assert [item.id for item in spoke if _is_overlay_for(item, "beqvez")] == []


def test_hemgenix_spoke_gets_the_hemgenix_followup_overlay(library: Any) -> None:
    followup_overlay = {
        item.id for item in library.items if item.area == "followup" and _is_overlay_for(item, "hemgenix")
    }
    assert followup_overlay, "expected Hemgenix follow-up overlay items"
    assert followup_overlay <= _ids(library.applicable_items(["hemgenix"], "spoke"))


def test_spoke_program_gets_items_in_every_area(library: Any) -> None:
    spoke = library.applicable_items(["hemgenix"], "spoke")
    per_area = Counter(item.area for item in spoke)
    for area in MIN_CORE_ITEMS:
        assert per_area[area] >= 3, f"spoke sees {per_area[area]} {area} items"


def test_hub_and_spoke_each_have_their_own_agreement_item(library: Any) -> None:
    policy = [item for item in library.items if item.area == "policy" and "contract" in item.evidence]
    assert any(item.applies_to.care_roles == ["hub"] for item in policy)
    assert any(item.applies_to.care_roles == ["spoke"] for item in policy)


def test_roctavian_hub_gets_roctavian_storage_and_antibody_items(library: Any) -> None:
    hub = _ids(library.applicable_items(["roctavian"], "hub"))
    by_id = {item.id: item for item in library.items}
    storage, antibody_test = by_id["PHARM-301"], by_id["POL-301"]
    assert storage.applies_to.products == ["roctavian"] and "freezer" in storage.title.lower()
    assert antibody_test.applies_to.products == ["roctavian"] and "AAV5" in antibody_test.title
    assert {"PHARM-301", "POL-301"} <= hub


def test_roctavian_hub_gets_no_hemgenix_overlay_items(library: Any) -> None:
    hub = library.applicable_items(["roctavian"], "hub")
    assert [item.id for item in hub if _is_overlay_for(item, "hemgenix")] == []


def test_the_shipped_tree_validates_through_the_cli() -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["checklists", "validate", str(CHECKLISTS)])
    assert result.exit_code == 0, result.output
    assert "ok  hemophilia-gt 1.0.0: 156 items in 5 areas" in result.output
    assert "ok  hemophilia-gt 1.1.0: 171 items in 5 areas" in result.output
