"""`gtready checklists validate` checks planning-defaults.yaml too: every value names a source or says it is an
assumption, and a billing code is a code or null with a note, each problem on its line."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.checklists.test_loader import edit, line_of
from tests.conftest import REAL_CHECKLISTS

runner = CliRunner()

DEFAULTS = """\
kind: planning-defaults
version: 1
products:
  hemgenix:
    list_price_usd: {value: 3500000, source: AJMC}
    billing_code: {value: J1411, source: "Hemgenix USPI"}
  roctavian:
    list_price_usd: {value: 2900000, source: "Seed article"}
    billing_code: {value: null, note: "No product-specific code assigned yet; bill the unclassified J3590"}
follow_up:
  coordinator_hours_per_visit: {value: 1.0, assumption: true}
  schedules:
    default:
      source: ["FDA LTFU 2020"]
      periods:
        - {from_month: 0, to_month: 12, visits: 16, labs: 16}
payers:
  commercial: {share: 1.0, denial_probability: 0.15, assumption: true}
cost_of_capital: {value: 0.06, assumption: true}
wastage_probability: {value: 0.02, source: "Seed article"}
"""


@pytest.fixture
def defaults(tmp_path: Path) -> Path:
    path = tmp_path / "planning-defaults.yaml"
    path.write_text(DEFAULTS)
    return path


def validate(path: Path) -> tuple[int, str]:
    result = runner.invoke(cli, ["checklists", "validate", str(path)])
    return result.exit_code, result.output


def test_sound_defaults_pass(defaults: Path) -> None:
    assert validate(defaults) == (0, "ok  planning-defaults.yaml: planning defaults, every value sourced\n")


def test_the_shipped_tree_validates_libraries_coverage_and_defaults() -> None:
    code, output = validate(REAL_CHECKLISTS)
    assert code == 0, output
    assert "ok  planning-defaults.yaml" in output and "ok  hemophilia-gt 1.0.0" in output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{value: 0.02, source: \"Seed article\"}", "{value: 0.02}",
         "wastage_probability: needs a source or 'assumption: true'"),
        ("{value: 3500000, source: AJMC}", "{value: 3500000, source: \"\"}",
         "products.hemgenix.list_price_usd: needs a source or 'assumption: true'"),
        ("{value: 3500000, source: AJMC}", "{value: lots, source: AJMC}",
         "products.hemgenix.list_price_usd.value: expected a number, got 'lots'"),
        ("{value: J1411, source: \"Hemgenix USPI\"}", "{value: J1411}",
         "products.hemgenix.billing_code: needs a source or 'assumption: true'"),
        ("{value: J1411, source: \"Hemgenix USPI\"}", "{value: J-1411, source: \"Hemgenix USPI\"}",
         "products.hemgenix.billing_code.value: 'J-1411' is not a billing code such as J1411 (or null)"),
        ("{value: null, note: \"No product-specific code assigned yet; bill the unclassified J3590\"}",
         "{value: null, source: \"Seed article\"}",
         "products.roctavian.billing_code: a null billing code needs a 'note' saying why there is none"),
        ("{share: 1.0, denial_probability: 0.15, assumption: true}", "{share: 1.0, denial_probability: 0.15}",
         "payers.commercial: needs a source or 'assumption: true'"),
        ("      source: [\"FDA LTFU 2020\"]\n", "",
         "follow_up.schedules.default: needs a source or 'assumption: true'"),
        ("{from_month: 0, to_month: 12, visits: 16, labs: 16}", "{from_month: 0, to_month: 12, visits: 16}",
         "follow_up.schedules.default.periods[0]: needs whole numbers labs"),
    ],
)
def test_each_unsourced_or_malformed_value_is_named_on_its_line(
    defaults: Path, old: str, new: str, message: str
) -> None:
    edit(defaults, old, new)
    code, output = validate(defaults)
    assert code == 1
    problem = next((line for line in output.splitlines() if message in line), None)
    assert problem is not None, output
    anchor = new.strip() or "periods:"  # a block's problem is reported at its first line
    assert f"planning-defaults.yaml line {line_of(defaults, anchor)}: {message}" in problem


def test_missing_sections_are_named(defaults: Path) -> None:
    edit(defaults, "cost_of_capital: {value: 0.06, assumption: true}\n", "")
    edit(defaults, "  coordinator_hours_per_visit: {value: 1.0, assumption: true}\n", "")
    code, output = validate(defaults)
    assert code == 1
    assert "planning-defaults.yaml line 1: cost_of_capital: required" in output
    assert "follow_up.coordinator_hours_per_visit: required" in output


def test_a_tree_reports_defaults_problems_beside_library_problems(tmp_path: Path, defaults: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REAL_CHECKLISTS / "hemophilia-gt" / "1.0.0", tree / "hemophilia-gt" / "1.0.0")
    (tree / "planning-defaults.yaml").write_text(DEFAULTS.replace("{value: 0.02, source: \"Seed article\"}", "0.02"))
    code, output = validate(tree)
    assert code == 1
    assert "planning-defaults.yaml line" in output and "wastage_probability: expected a mapping with 'value'" in output
