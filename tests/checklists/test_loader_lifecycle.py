"""Library 1.1 format: product status and review dates, jurisdictions, phases, retired ids and coverage maps are
validated when a library loads, each error naming file, line and field."""

import shutil
from pathlib import Path

import pytest

from app.checklists.loader import load_path
from tests.checklists.test_loader import edit, error_of, line_of

LIFECYCLE = Path(__file__).parents[1] / "fixtures" / "lifecycle" / "lifecycle"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "lifecycle" / "1.1.0"
    shutil.copytree(LIFECYCLE / "1.1.0", target)
    return target


def test_new_format_loads_with_its_statuses_jurisdictions_retired_ids_and_coverage() -> None:
    (library,) = load_path(LIFECYCLE / "1.1.0")
    statuses = {p.id: p.status for p in library.products}
    assert statuses == {"hemgenix": "active", "beqvez": "discontinued", "roctavian": "divesting"}
    assert library.jurisdictions == ["us", "eu_uk"]
    assert [r.id for r in library.retired] == ["PHARM-201", "PAY-201"]
    assert library.coverage is not None and library.coverage.frameworks[0].id == "masac-282"
    assert {i.id: i.phase for i in library.items}["FU-201"] == "post_dose"
    assert {i.id: i.phase for i in library.items}["PHARM-001"] == "both"


def test_a_library_without_the_new_keys_defaults_to_active_products_us_and_both_phases() -> None:
    (library,) = load_path(LIFECYCLE / "1.0.0")
    assert {p.status for p in library.products} == {"active"}
    assert library.jurisdictions == ["us"] and library.retired == [] and library.coverage is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("status: divesting", "status: withdrawn", "unknown product status 'withdrawn'"),
        ("jurisdictions: [us, eu_uk]", "jurisdictions: [us, mars]", "unknown jurisdiction 'mars'"),
        ("review_by: 2020-01-31", "review_by: soon", "review_by"),
    ],
)
def test_unknown_vocabulary_in_the_header_is_an_error_on_its_line(
    folder: Path, old: str, new: str, message: str
) -> None:
    header = folder / "library.yaml"
    edit(header, old, new)
    error = error_of(folder)
    assert f"library.yaml line {line_of(header, new)}" in error and message in error


@pytest.mark.parametrize("field", ["status_date", "status_source"])
def test_a_product_that_is_not_active_must_say_since_when_and_on_whose_word(folder: Path, field: str) -> None:
    header = folder / "library.yaml"
    text = header.read_text()
    header.write_text("\n".join(line for line in text.splitlines() if not line.strip().startswith(f"{field}: "))
                      + "\n")
    error = error_of(folder)
    line = line_of(header, "status: discontinued")
    assert f"library.yaml line {line}: product beqvez: {field}: required when status is discontinued" in error


def test_an_unknown_phase_is_an_error_naming_the_item(folder: Path) -> None:
    items = folder / "items.yaml"
    edit(items, "phase: post_dose", "phase: after_dose")
    error = error_of(folder)
    assert f"items.yaml line {line_of(items, 'after_dose')}: item FU-201: phase: unknown phase 'after_dose'" in error


def test_an_item_may_not_reuse_a_retired_id(folder: Path) -> None:
    items = folder / "items.yaml"
    edit(items, "id: PAY-002", "id: PAY-201")
    error = error_of(folder)
    assert (f"items.yaml line {line_of(items, 'id: PAY-201')}: item PAY-201: id: PAY-201 was retired in 1.1.0 and "
            "may not be reused") in error


def test_pre_dose_items_of_a_discontinued_product_must_be_retired(folder: Path) -> None:
    items = folder / "items.yaml"
    edit(items, "phase: post_dose", "phase: pre_dose  # FU-201")
    error = error_of(folder)
    assert (f"items.yaml line {line_of(items, '# FU-201')}: item FU-201: phase: pre-dose items of a "
            "discontinued product must be retired") in error


def test_an_item_for_a_jurisdiction_the_library_does_not_cover_is_an_error(folder: Path) -> None:
    header, items = folder / "library.yaml", folder / "items.yaml"
    edit(header, "jurisdictions: [us, eu_uk]", "jurisdictions: [us]")
    error = error_of(folder)
    assert (f"items.yaml line {line_of(items, 'jurisdictions: [eu_uk]')}: item PAY-002: applies_to.jurisdictions: "
            "'eu_uk' is not one of this library's jurisdictions (us)") in error
    edit(items, "jurisdictions: [eu_uk]", "jurisdictions: [uk]")
    assert "item PAY-002: applies_to.jurisdictions.0: unknown jurisdiction 'uk'" in error_of(folder)


def test_a_retired_id_listed_twice_or_after_the_library_version_is_an_error(folder: Path) -> None:
    header = folder / "library.yaml"
    edit(header, "{id: PAY-201, version: 1.1.0", "{id: PHARM-201, version: 1.2.0")
    error = error_of(folder)
    assert f"library.yaml line {line_of(header, 'version: 1.2.0')}: retired: PHARM-201 is listed twice" in error
    assert "retired: PHARM-201 retired in 1.2.0, after this library's 1.1.0" in error


def test_coverage_items_must_exist_in_the_library(folder: Path) -> None:
    coverage = folder / "coverage.yaml"
    edit(coverage, "items: [FU-001]", "items: [FU-001, FU-999]")
    error = error_of(folder)
    assert (f"coverage.yaml line {line_of(coverage, 'FU-999')}: framework masac-282 part follow-up: items: "
            "unknown item 'FU-999'") in error


def test_a_retired_item_cannot_be_claimed_as_coverage(folder: Path) -> None:
    edit(folder / "coverage.yaml", "items: [FU-001]", "items: [PAY-201]")
    assert "part follow-up: items: unknown item 'PAY-201'" in error_of(folder)


def test_an_empty_coverage_part_needs_an_unmapped_reason(folder: Path) -> None:
    coverage = folder / "coverage.yaml"
    edit(coverage, '        unmapped_reason: "Covered by the payer items of a later version"\n', "")
    error = error_of(folder)
    assert (f"coverage.yaml line {line_of(coverage, 'items: []')}: framework masac-282 part insurance: "
            "unmapped_reason: required when items is empty") in error


def test_a_coverage_file_of_the_wrong_shape_names_the_field(folder: Path) -> None:
    coverage = folder / "coverage.yaml"
    edit(coverage, "    source: \"MASAC 282\"\n", "    sauce: \"MASAC 282\"\n")
    error = error_of(folder)
    assert f"coverage.yaml line {line_of(coverage, 'sauce')}: frameworks.0.sauce: unknown key" in error
    assert "frameworks.0.source: Field required" in error
