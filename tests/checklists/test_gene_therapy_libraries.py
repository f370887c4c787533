"""The libraries for the other US gene therapies (issue 19) and the shared core they include.

They read the real YAML under checklists/ (and build small libraries in tmp_path for the include errors), so a
library that does not load fails here. Each test checks one rule: every library validates, a core item is
written once and taken in by each library that includes it, applicability by product and care role, include
errors name the file and the line, every item is sourced, and what is unverified is marked in the item and
listed in checklists/README.md.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.checklists.loader import LibraryError, load_catalog, load_path, validate_library, validate_path
from app.checklists.schema import Library
from app.checklists.yaml_source import parse_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS = REPO_ROOT / "checklists"
CORE = CHECKLISTS / "core" / "1.0.0"
# Every core version: core 1.1.0 adds payer.yaml (the libraries' 1.2.0 versions include it; 1.0.0 had no payer item).
CORES = sorted(folder for folder in (CHECKLISTS / "core").iterdir() if folder.is_dir())
README = CHECKLISTS / "README.md"
SOURCES = CHECKLISTS / "SOURCES.md"
# The libraries of issue 19 that are written so far, with the products each offers.
NEW_LIBRARIES = {
    "systemic-aav": {"zolgensma", "elevidys"},
    "surgical-aav": {"luxturna", "kebilidi", "itvisma"},
    "ex-vivo-hsc": {"casgevy", "lyfgenia", "zynteglo", "skysona", "lenmeldy"},
}
# Every shipped version of them (a corrected fact ships as a new version; published ones are never edited).
VERSIONS = sorted((library_id, folder.name) for library_id in NEW_LIBRARIES
                  for folder in (CHECKLISTS / library_id).iterdir() if (folder / "library.yaml").is_file())


def _raw_items(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get("items") or [])


def _core_ids(core: Path = CORE) -> set[str]:
    return {item["id"] for path in sorted(core.glob("*.yaml")) for item in _raw_items(path)}


def _included_core(library_id: str, version: str) -> Path:
    """The core folder a library version includes (each version pins one core version)."""
    text = (CHECKLISTS / library_id / version / "library.yaml").read_text(encoding="utf-8")
    (core_version,) = set(re.findall(r"\.\./\.\./core/([^/]+)/", text))
    return CHECKLISTS / "core" / core_version


def _own_ids(library_id: str, version: str = "1.0.0") -> set[str]:
    folder = CHECKLISTS / library_id / version
    return {item["id"] for path in sorted(folder.glob("*.yaml")) if path.name != "coverage.yaml"
            for item in _raw_items(path)}


def _text(item: Any) -> str:
    return " ".join([item.title, item.done_when, item.why])


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog(CHECKLISTS)


@pytest.fixture(scope="module", params=VERSIONS, ids=["-".join(v) for v in VERSIONS])
def library(request: pytest.FixtureRequest, catalog: Any) -> Library:
    found = catalog.get(*request.param)
    assert found is not None, request.param
    return found  # type: ignore[no-any-return]


def _ids(items: Any) -> set[str]:
    return {item.id for item in items}


# --- Every library validates; core files are not libraries ---------------------------------------------------


def test_the_whole_tree_validates_with_the_new_libraries_and_no_core_library() -> None:
    libraries, _ = validate_path(CHECKLISTS)
    keys = {(lib.id, lib.version) for lib in libraries}
    assert {(library_id, "1.0.0") for library_id in NEW_LIBRARIES} <= keys
    assert {lib.id for lib in libraries} >= {"hemophilia-gt"}
    assert not [lib for lib in libraries if lib.id == "core" or "core" in lib.version]


def test_published_hemophilia_versions_do_not_include_the_core(catalog: Any) -> None:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        text = (CHECKLISTS / "hemophilia-gt" / version / "library.yaml").read_text(encoding="utf-8")
        assert "includes:" not in text, version
    # The published versions load exactly as before the include mechanism existed.
    counts = {v: len(catalog.get("hemophilia-gt", v).items) for v in ("1.0.0", "1.1.0", "1.2.0")}
    assert counts == {"1.0.0": 156, "1.1.0": 171, "1.2.0": 171}


# --- The core is written once and included ----------------------------------------------------------------------


@pytest.mark.parametrize("core", CORES, ids=[folder.name for folder in CORES])
def test_each_core_item_id_is_written_in_exactly_one_file(core: Path) -> None:
    # Within one core version and the libraries; each core version is a full copy, so it is checked on its own.
    files = [*core.glob("*.yaml"), *(p for lib in NEW_LIBRARIES for p in (CHECKLISTS / lib).rglob("*.yaml"))]
    where: dict[str, list[str]] = {}
    for path in files:
        for item in _raw_items(path):
            where.setdefault(item["id"], []).append(str(path.relative_to(CHECKLISTS)))
    core_ids = _core_ids(core)
    assert core_ids, "no core items"
    assert {item_id: paths for item_id, paths in where.items() if item_id in core_ids and len(paths) != 1} == {}


def test_each_library_is_the_core_plus_its_own_items(library: Library) -> None:
    own, core = _own_ids(library.id, library.version), _core_ids(_included_core(library.id, library.version))
    assert own and not own & core
    assert _ids(library.items) == core | own
    assert len(library.items) == len(_ids(library.items))


@pytest.mark.parametrize("core", CORES, ids=[folder.name for folder in CORES])
def test_core_items_name_no_product_and_say_nothing_hemophilia_specific(core: Path) -> None:
    for path in sorted(core.glob("*.yaml")):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["kind"] == "core", path.name
        for item in _raw_items(path):
            assert "products" not in (item.get("applies_to") or {}), item["id"]
            text = " ".join(str(item.get(key, "")) for key in ("title", "done_when", "why")).lower()
            assert not re.search(r"factor (ix|viii|activity)|hemophilia|haemophilia|inhibitor", text), item["id"]
    followup = {item["id"]: item for item in _raw_items(core / "followup.yaml")}
    assert "the product's own efficacy and safety monitoring" in followup["FU-003"]["title"].lower()


# --- Applicability by product and care role -----------------------------------------------------------------


def test_a_zolgensma_hub_gets_its_overlay_and_not_elevidys(catalog: Any) -> None:
    library = catalog.get("systemic-aav", "1.0.0")
    hub = _ids(library.applicable_items(["zolgensma"], "hub", "us"))
    assert {"POL-101", "POL-102", "POL-103", "PHARM-101", "FU-101", "POL-001", "FU-001"} <= hub
    assert not {i for i in hub if re.fullmatch(r"[A-Z]+-2\d\d", i)}
    elevidys = _ids(library.applicable_items(["elevidys"], "hub", "us"))
    assert {"POL-201", "POL-202", "FU-201"} <= elevidys and not {"POL-101", "FU-101"} & elevidys


def test_a_follow_up_centre_gets_post_dose_items_but_not_the_hub_only_ones(catalog: Any) -> None:
    library = catalog.get("systemic-aav", "1.0.0")
    spoke = _ids(library.applicable_items(["zolgensma"], "spoke", "us"))
    assert {"FU-001", "FU-002", "FU-003", "FU-101", "POL-102", "EDU-101"} <= spoke
    assert not {"POL-001", "POL-002", "POL-101", "POL-103", "PHARM-001", "PHARM-101"} & spoke


def test_a_luxturna_program_gets_theatre_items_and_a_zolgensma_program_does_not(catalog: Any) -> None:
    surgical = catalog.get("surgical-aav", "1.0.0")
    luxturna = _ids(surgical.applicable_items(["luxturna"], "hub", "us"))
    assert {"POL-010", "POL-011", "EDU-010", "PHARM-010", "FU-010", "POL-101", "PHARM-101", "FU-101"} <= luxturna
    assert not {"POL-201", "POL-202", "POL-301"} & luxturna
    kebilidi = _ids(surgical.applicable_items(["kebilidi"], "hub", "us"))
    assert {"POL-010", "POL-201", "POL-202"} <= kebilidi and "POL-101" not in kebilidi
    zolgensma = _ids(catalog.get("systemic-aav", "1.0.0").applicable_items(["zolgensma"], "hub", "us"))
    assert not {"POL-010", "POL-011", "EDU-010", "PHARM-010", "FU-010"} & zolgensma
    spoke = _ids(surgical.applicable_items(["luxturna"], "spoke", "us"))
    assert "FU-101" in spoke and "FU-010" in spoke and not {"POL-010", "PHARM-101"} & spoke


def test_a_casgevy_treatment_centre_gets_apheresis_and_a_luxturna_program_does_not(catalog: Any) -> None:
    ex_vivo = catalog.get("ex-vivo-hsc", "1.0.0")
    casgevy = _ids(ex_vivo.applicable_items(["casgevy"], "hub", "us"))
    assert {"POL-010", "PHARM-010", "PHARM-012", "POL-011", "POL-012", "POL-101", "FU-010"} <= casgevy
    assert not {"POL-401", "FU-201", "FU-011"} & casgevy  # Casgevy is edited, not lentiviral
    # Ids are per library, so compare what the items are about: neither program gets the other's.
    casgevy_titles = " ".join(i.title for i in ex_vivo.applicable_items(["casgevy"], "hub", "us")).lower()
    luxturna_items = catalog.get("surgical-aav", "1.0.0").applicable_items(["luxturna"], "hub", "us")
    luxturna_titles = " ".join(i.title for i in luxturna_items).lower()
    assert "apheresis" in casgevy_titles and "theatre" not in casgevy_titles
    assert "theatre" in luxturna_titles and "apheresis" not in luxturna_titles
    skysona = _ids(ex_vivo.applicable_items(["skysona"], "spoke", "us"))
    assert {"FU-011", "FU-401"} <= skysona and not {"POL-010", "POL-401"} & skysona


def test_the_ex_vivo_ltfu_coverage_map_names_items_of_the_library(catalog: Any) -> None:
    library = catalog.get("ex-vivo-hsc", "1.0.0")
    assert library.coverage is not None
    (framework,) = library.coverage.frameworks
    assert framework.source == "FDA LTFU 2020"
    assert {item for part in framework.parts for item in part.items} <= _ids(library.items)
    assert {"FU-001", "FU-011"} <= set(next(p for p in framework.parts if p.id == "fifteen-years").items)


def test_every_product_has_status_source_and_review_date(library: Library) -> None:
    assert {p.id for p in library.products} == NEW_LIBRARIES[library.id]
    listed = set(re.findall(r"^- \[([^\]]+)\]", SOURCES.read_text(encoding="utf-8"), re.MULTILINE))
    for product in library.products:
        assert product.status_source in listed and product.review_by is not None, product.id
    elevidys = library.product("elevidys")
    if elevidys is not None:
        assert elevidys.status_note and "ambulatory" in elevidys.status_note
        assert str(elevidys.status_date) == "2025-11-14"


# --- Sources and unverified facts --------------------------------------------------------------------------------


def test_every_item_has_references_listed_in_sources_md(library: Library) -> None:
    listed = set(re.findall(r"^- \[([^\]]+)\]", SOURCES.read_text(encoding="utf-8"), re.MULTILINE))
    assert all(item.references for item in library.items)
    assert {(item.id, ref) for item in library.items for ref in item.references if ref not in listed} == set()


def test_no_item_quotes_a_price_or_a_billing_code(library: Library) -> None:
    for item in library.items:
        assert not re.search(r"\$\s?\d|\b[JQ]\d{4}\b", _text(item)), item.id


def _unverified_table(library_id: str, version: str) -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## Unverified facts in the other gene-therapy libraries ({library_id} {version})", 1)[1]
    section = section.split("\n## ", 1)[0]
    return {i for row in re.findall(r"^\|(.+)\|$", section, re.MULTILINE) for i in re.findall(r"\b[A-Z]+-\d{3}\b", row)}


def test_unverified_facts_are_marked_in_their_items_and_listed_in_the_readme(library: Library) -> None:
    listed = _unverified_table(library.id, library.version)
    saying_it = {item.id for item in library.items if "unverified" in _text(item).lower()}
    assert listed and listed == saying_it


def test_overlay_items_state_their_phase_in_the_yaml(library: Library) -> None:
    for path in sorted((CHECKLISTS / library.id / library.version).glob("overlay*.yaml")):
        assert [item["id"] for item in _raw_items(path) if "phase" not in item] == [], path.name


# --- Include errors name the file and the line ------------------------------------------------------------------

HEADER = """id: tiny
version: 1.0.0
title: Tiny
products:
  - {id: alpha, name: Alpha, disease: d}
areas:
  - {id: policy, title: Policy}
includes:
  - {path: %s}
"""
CORE_FILE = """kind: core
area: policy
%sitems:
  - id: POL-001
    title: A core item
    done_when: Done.
    why: Because.
    criticality: major
    signoff_role: policy_lead
    references: [DailyMed]
"""


def _tiny(tmp_path: Path, include: str, core: str | None = CORE_FILE % "") -> Path:
    folder = tmp_path / "lib" / "tiny" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "library.yaml").write_text(HEADER % include)
    core_dir = tmp_path / "lib" / "core" / "1.0.0"
    core_dir.mkdir(parents=True)
    if core is not None:
        (core_dir / "policy.yaml").write_text(core)
    return folder


def _error(path: Path) -> str:
    with pytest.raises(LibraryError) as caught:
        load_path(path)
    return str(caught.value)


def test_an_included_core_item_belongs_to_the_library(tmp_path: Path) -> None:
    (library,) = load_path(_tiny(tmp_path, "../../core/1.0.0/policy.yaml"))
    assert [item.id for item in library.items] == ["POL-001"]
    catalog = load_catalog(tmp_path / "lib")
    assert [lib.id for lib in catalog.all()] == ["tiny"]


def test_a_missing_include_names_the_file_and_line(tmp_path: Path) -> None:
    message = _error(_tiny(tmp_path, "../../core/1.0.0/nothing.yaml"))
    assert "tiny/1.0.0/library.yaml line 9: includes: no such file '../../core/1.0.0/nothing.yaml'" in message


def test_an_include_cycle_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _tiny(tmp_path, "../../core/1.0.0/policy.yaml",
                   CORE_FILE % "includes:\n  - {path: other.yaml}\n")
    other = tmp_path / "lib" / "core" / "1.0.0" / "other.yaml"
    other.write_text("kind: core\nincludes:\n  - {path: policy.yaml}\nitems: []\n")
    message = _error(folder)
    assert "core/1.0.0/other.yaml line 3: includes: include cycle" in message
    assert "policy.yaml -> " in message


def test_a_duplicate_id_between_core_and_library_names_both_places(tmp_path: Path) -> None:
    folder = _tiny(tmp_path, "../../core/1.0.0/policy.yaml")
    own = (CORE_FILE % "").replace("kind: core\n", "")
    (folder / "policy.yaml").write_text(own)
    message = _error(folder)
    assert "tiny/1.0.0/policy.yaml line 3: item POL-001: duplicate item id (first at " in message
    assert "core/1.0.0/policy.yaml line 4)" in message


def test_including_a_file_that_is_not_core_is_refused(tmp_path: Path) -> None:
    folder = _tiny(tmp_path, "../../core/1.0.0/policy.yaml", (CORE_FILE % "").replace("kind: core\n", ""))
    message = _error(folder)
    assert "library.yaml line 9: includes: '../../core/1.0.0/policy.yaml' is not a core file" in message


def test_a_malformed_include_entry_names_its_line(tmp_path: Path) -> None:
    folder = _tiny(tmp_path, "x.yaml")
    header = folder / "library.yaml"
    header.write_text(header.read_text().replace("{path: x.yaml}", "{file: x.yaml}"))
    message = _error(folder)
    assert "library.yaml line 9: includes[0].path: Field required" in message
    assert "includes[0].file: unknown key" in message


def test_an_uploaded_library_may_not_include_files(tmp_path: Path) -> None:
    text = HEADER % "../../core/1.0.0/policy.yaml" + "items: []\n"
    source, problems = parse_yaml(tmp_path / "upload.yaml", text)
    assert source is not None and not problems
    with pytest.raises(LibraryError) as caught:
        validate_library(source)
    assert "upload.yaml line 9: includes: only the shipped libraries may include core files" in str(caught.value)


# --- Facts verified against the labels, and the FACT coverage map (ex-vivo-hsc 1.1.0) ---------------------------


def test_skysona_monitoring_follows_the_current_boxed_warning_in_the_newest_version(catalog: Any) -> None:
    newest = catalog.latest("ex-vivo-hsc")
    fu401 = next(i for i in newest.items if i.id == "FU-401")
    assert "at least every 3 months" in fu401.done_when and "6 months" not in fu401.done_when
    assert "Skysona USPI" in fu401.references and "unverified" not in _text(fu401).lower()
    first = next(i for i in catalog.get("ex-vivo-hsc", "1.0.0").items if i.id == "FU-401")
    assert "every 6 months" in first.done_when  # the published version is not edited


def test_the_fact_map_names_items_of_the_library_and_every_part_is_answered(catalog: Any) -> None:
    newest = catalog.latest("ex-vivo-hsc")
    assert newest.coverage is not None
    fact = next(f for f in newest.coverage.frameworks if f.id == "fact-jacie-hct")
    assert fact.source == "FACT HCT standards pages 2026"
    assert all(part.items for part in fact.parts)
    assert {item for part in fact.parts for item in part.items} <= _ids(newest.items)
    eligibility = next(p for p in fact.parts if p.id == "clinical-program-eligibility")
    assert {"POL-014", "POL-015"} <= set(eligibility.items)


def test_fact_items_are_hub_pre_dose_items_of_every_ex_vivo_product_and_of_no_other_library(catalog: Any) -> None:
    newest = catalog.latest("ex-vivo-hsc")
    for product in NEW_LIBRARIES["ex-vivo-hsc"]:
        assert {"POL-014", "POL-015"} <= _ids(newest.applicable_items([product], "hub", "us")), product
        assert not {"POL-014", "POL-015"} & _ids(newest.applicable_items([product], "spoke", "us")), product
    for other in ("systemic-aav", "surgical-aav"):
        titles = " ".join(i.title for i in catalog.latest(other).items)
        assert "FACT" not in titles, other


def test_a_core_file_included_twice_is_taken_in_once(tmp_path: Path) -> None:
    folder = _tiny(tmp_path, "../../core/1.0.0/policy.yaml")
    header = folder / "library.yaml"
    header.write_text(header.read_text() + "  - {path: ../../core/1.0.0/policy.yaml}\n")
    (library,) = load_path(folder)
    assert [item.id for item in library.items] == ["POL-001"]


def test_each_newest_library_takes_in_every_core_item_exactly_once(catalog: Any) -> None:
    for library_id in NEW_LIBRARIES:
        newest = catalog.latest(library_id)
        items = [item.id for item in newest.items]
        core = _core_ids(_included_core(library_id, newest.version))
        assert len(items) == len(set(items)) and core <= set(items), library_id


# --- Itvisma reviewed on its due date (surgical-aav 1.1.0) -------------------------------------------------------


def test_itvisma_review_moves_to_a_new_version_and_its_unread_label_stays_unverified(catalog: Any) -> None:
    first, reviewed = catalog.get("surgical-aav", "1.0.0"), catalog.get("surgical-aav", "1.1.0")
    newest = catalog.latest("surgical-aav")
    assert str(first.product("itvisma").review_by) == "2026-11-30"  # the published version is not edited
    assert str(reviewed.product("itvisma").review_by) == "2027-02-28"
    # Nothing was confirmed from the label, so the items are those of 1.0.0 and still say so.
    assert [(i.id, i.done_when) for i in reviewed.items] == [(i.id, i.done_when) for i in first.items]
    # 1.2.0 only adds the core payer items: the Itvisma facts and their review date are unchanged.
    assert str(newest.product("itvisma").review_by) == "2027-02-28"
    assert {(i.id, i.done_when) for i in reviewed.items} <= {(i.id, i.done_when) for i in newest.items}
    for item_id in ("POL-301", "POL-302"):
        assert "unverified" in _text(next(i for i in newest.items if i.id == item_id)).lower(), item_id


# --- Payer items from core 1.1.0 (the libraries' 1.2.0 versions) -------------------------------------------------


def test_every_product_of_the_newest_libraries_has_payer_items_at_a_hub(catalog: Any) -> None:
    for library_id, products in NEW_LIBRARIES.items():
        newest = catalog.latest(library_id)
        assert newest.version == "1.2.0", library_id
        for product in products:
            payer = _ids(i for i in newest.applicable_items([product], "hub", "us") if i.area == "payer")
            assert {"PAY-051", "PAY-054", "PAY-055"} <= payer, (library_id, product)
        # The published 1.1.0 declared the area with nothing in it; it is not edited.
        assert not [i for i in catalog.get(library_id, "1.1.0").items if i.area == "payer"], library_id


def test_the_access_model_and_carve_out_items_apply_only_to_the_sickle_cell_products(catalog: Any) -> None:
    newest = catalog.latest("ex-vivo-hsc")
    for product in ("casgevy", "lyfgenia"):
        assert {"PAY-081", "PAY-082"} <= _ids(newest.applicable_items([product], "hub", "us")), product
    for product in ("zynteglo", "skysona", "lenmeldy"):
        assert not {"PAY-081", "PAY-082"} & _ids(newest.applicable_items([product], "hub", "us")), product
    access_model = next(i for i in newest.items if i.id == "PAY-081")
    assert "CMS CGT Access Model" in access_model.references


def test_payer_ids_of_the_core_and_the_libraries_never_reuse_a_hemophilia_id() -> None:
    # hemophilia-gt does not include the core, so a shared id would mean two different things in two libraries.
    hemophilia: set[str] = set()
    for folder in (CHECKLISTS / "hemophilia-gt").iterdir():
        for path in folder.glob("*.yaml"):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            hemophilia |= {i["id"] for i in data.get("items") or []} | {r["id"] for r in data.get("retired") or []}
    core_payer = {item["id"] for item in _raw_items(CHECKLISTS / "core" / "1.1.0" / "payer.yaml")}
    own_payer = {item["id"] for item in _raw_items(CHECKLISTS / "ex-vivo-hsc" / "1.2.0" / "payer.yaml")}
    assert len(core_payer) == 21 and own_payer == {"PAY-081", "PAY-082"}
    assert not (core_payer | own_payer) & hemophilia
