"""The loader accepts a valid library whole, and rejects a bad one naming file, line and field."""

import shutil
from pathlib import Path

import pytest

from app.checklists.loader import LibraryError, load_catalog, load_path
from tests.conftest import FIXTURE_CHECKLISTS

MINI = FIXTURE_CHECKLISTS / "mini" / "1.0.0"


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    target = tmp_path / "mini" / "1.0.0"
    shutil.copytree(MINI, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def error_of(path: Path) -> str:
    with pytest.raises(LibraryError) as caught:
        load_path(path)
    return str(caught.value)


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_valid_library_loads_every_item_with_defaults() -> None:
    (library,) = load_path(MINI)
    assert (library.id, library.version) == ("mini", "1.0.0")
    assert [i.id for i in library.items] == ["PHARM-001", "PHARM-002", "PHARM-003", "POL-001", "POL-002", "PAY-001"]
    weights = {i.id: i.effective_weight for i in library.items}
    assert weights["PHARM-001"] == 3 and weights["POL-002"] == 1 and weights["PAY-001"] == 4


def test_catalog_finds_all_versions_and_latest() -> None:
    catalog = load_catalog(FIXTURE_CHECKLISTS)
    assert [lib.version for lib in catalog.versions("mini")] == ["1.0.0", "1.1.0"]
    latest = catalog.latest("mini")
    assert latest is not None and latest.version == "1.1.0"


def test_unknown_signoff_role_names_file_line_item_and_value(library_dir: Path) -> None:
    items = library_dir / "items.yaml"
    edit(items, "signoff_role: pharmacy_lead\n    depends_on", "signoff_role: pharmasist\n    depends_on")
    message = error_of(library_dir)
    line = line_of(items, "pharmasist")
    assert f"items.yaml line {line}: item PHARM-002: signoff_role: unknown sign-off role 'pharmasist'" in message


def test_unknown_key_is_rejected_with_its_line(library_dir: Path) -> None:
    items = library_dir / "items.yaml"
    edit(items, "    why: Aseptic preparation.\n", "    why: Aseptic preparation.\n    wyh: typo\n")
    message = error_of(library_dir)
    assert f"line {line_of(items, 'wyh')}: item PHARM-002: wyh: unknown key" in message


def test_missing_required_field_is_named(library_dir: Path) -> None:
    edit(library_dir / "items.yaml", "    why: Formulary restriction.\n", "")
    assert "item POL-001: why: Field required" in error_of(library_dir)


def test_duplicate_item_id_points_at_the_second_and_the_first(library_dir: Path) -> None:
    items = library_dir / "items.yaml"
    edit(items, "id: PHARM-002", "id: PHARM-001")
    message = error_of(library_dir)
    assert "item PHARM-001: duplicate item id (first at items.yaml line" in message


def test_dependency_on_unknown_item(library_dir: Path) -> None:
    edit(library_dir / "items.yaml", "depends_on: [PHARM-001]", "depends_on: [PHARM-999]")
    assert "item PHARM-002: depends_on: unknown item 'PHARM-999'" in error_of(library_dir)


def test_dependency_cycle_is_named(library_dir: Path) -> None:
    items = library_dir / "items.yaml"
    edit(items, "    evidence: [equipment_qualification]\n", "    evidence: [equipment_qualification]\n"
         "    depends_on: [PHARM-002]\n")
    message = error_of(library_dir)
    assert "dependency cycle" in message and "PHARM-001 -> PHARM-002 -> PHARM-001" in message


def test_unknown_area_and_product(library_dir: Path) -> None:
    edit(library_dir / "items.yaml", "area: payer\n    title: Prior", "area: payers\n    title: Prior")
    edit(library_dir / "items.yaml", "products: [roctavian]", "products: [zolgensma]")
    message = error_of(library_dir)
    assert "item PAY-001: area: unknown area 'payers'" in message
    assert "item PHARM-003: applies_to.products: unknown 'zolgensma'" in message


def test_yaml_syntax_error_has_a_line(library_dir: Path) -> None:
    items = library_dir / "items.yaml"
    edit(items, "    title: Storage qualified\n", "    title: [Storage qualified\n")
    assert "items.yaml line" in error_of(library_dir) and "YAML syntax error" in error_of(library_dir)


def test_duplicate_yaml_key_is_an_error(library_dir: Path) -> None:
    doubled = "    title: Storage qualified\n    title: Again\n"
    edit(library_dir / "items.yaml", "    title: Storage qualified\n", doubled)
    assert "duplicate key 'title'" in error_of(library_dir)


def test_folder_must_match_version(tmp_path: Path) -> None:
    target = tmp_path / "mini" / "2.0.0"
    shutil.copytree(MINI, target)
    assert "version: '1.0.0' differs from its folder name '2.0.0'" in error_of(target)


def test_bad_semver_and_item_id_format(library_dir: Path) -> None:
    edit(library_dir / "library.yaml", "version: 1.0.0", "version: one")
    edit(library_dir / "items.yaml", "id: PHARM-001", "id: pharm-1")
    message = error_of(library_dir)
    assert "version: version 'one' is not of the form 1.2.0" in message
    assert "item id 'pharm-1' is not of the form PHARM-012" in message


def test_one_bad_library_loads_nothing_from_the_tree(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_CHECKLISTS, tmp_path / "tree")
    edit(tmp_path / "tree" / "mini" / "1.1.0" / "items.yaml", "criticality: minor", "criticality: trivial")
    with pytest.raises(LibraryError) as caught:
        load_catalog(tmp_path / "tree")
    assert "unknown criticality 'trivial'" in str(caught.value)


def test_single_file_library_and_other_kinds_are_told_apart(tmp_path: Path) -> None:
    header = (MINI / "library.yaml").read_text()
    (tmp_path / "solo.yaml").write_text(header.replace("id: mini", "id: solo") + "items: []\n")
    (tmp_path / "planning-defaults.yaml").write_text("kind: planning-defaults\nversion: 1\n")
    catalog = load_catalog(tmp_path)
    assert [lib.id for lib in catalog.all()] == ["solo"]
