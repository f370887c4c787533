"""Every product of every shipped library has planning defaults: a sourced price or an explicit null saying why,
a billing code or a null with a note, a follow-up schedule; and `checklists validate` holds a null price to that."""

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from app.checklists.loader import load_catalog
from app.cli import cli
from app.planning.defaults import default_reimbursement_inputs, list_price, planning_defaults
from tests.conftest import REAL_CHECKLISTS

DEFAULTS = REAL_CHECKLISTS / "planning-defaults.yaml"
EX_VIVO = ("casgevy", "lyfgenia", "zynteglo", "skysona", "lenmeldy")


def library_products() -> set[str]:
    return {product.id for library in load_catalog(REAL_CHECKLISTS).all() for product in library.products}


def test_every_library_product_has_a_price_entry_or_an_explicit_null_with_a_reason() -> None:
    products = planning_defaults()["products"]
    missing = library_products() - set(products)
    assert not missing, f"no planning defaults for {sorted(missing)}"
    for product_id in library_products():
        price = products[product_id]["list_price_usd"]
        if price["value"] is None:
            assert price.get("note", "").strip() and price.get("verified") is False, product_id
        else:
            assert price["value"] > 0 and price.get("source"), product_id
        code = products[product_id]["billing_code"]
        assert code["value"] is not None or code.get("note", "").strip(), product_id


def test_every_library_product_has_its_own_follow_up_schedule() -> None:
    schedules = planning_defaults()["follow_up"]["schedules"]
    assert library_products() <= set(schedules)


def test_ex_vivo_products_are_followed_15_years_and_state_their_resources() -> None:
    defaults = planning_defaults()
    for product in EX_VIVO:
        assert defaults["follow_up"]["schedules"][product]["periods"][-1]["to_month"] == 180, product
        for key in ("apheresis_days_per_cycle", "extra_collection_cycles", "transplant_bed_days"):
            entry = defaults["products"][product][key]
            assert entry.get("source") or entry.get("assumption") is True, f"{product}.{key}"
    # the failed-collection allowance is an assumption everywhere: no public figure was found
    assert all(defaults["products"][p]["extra_collection_cycles"]["assumption"] is True for p in EX_VIVO)


def test_a_product_without_a_price_is_left_out_of_the_reimbursement_defaults() -> None:
    assert list_price("kebilidi") is None and list_price("luxturna") == 850_000
    plans = default_reimbursement_inputs(["luxturna", "kebilidi"]).products
    assert [plan.product for plan in plans] == ["luxturna"]


def test_payment_arrangements_name_their_sources_and_the_model_products() -> None:
    arrangements = planning_defaults()["payment_arrangements"]
    access = arrangements["cgt_access_model"]
    assert access["products"]["value"] == ["casgevy", "lyfgenia"] and access["products"]["verified"] is True
    assert access["medicaid_denial_probability"] == {
        "value": None, "assumption": True,
        "note": "no public figure: the user enters it, or the Medicaid payer's denial stands"}


def _validate(tmp_path: Path, change: Any) -> tuple[int, str]:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "planning-defaults.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["checklists", "validate", str(path)])
    return result.exit_code, result.output


def test_validate_accepts_a_null_price_with_a_note(tmp_path: Path) -> None:
    assert _validate(tmp_path, lambda data: None)[0] == 0


def test_validate_refuses_a_null_price_without_a_note(tmp_path: Path) -> None:
    code, output = _validate(tmp_path, lambda data: data["products"]["kebilidi"]["list_price_usd"].pop("note"))
    assert code != 0
    assert "products.kebilidi.list_price_usd: a null price needs a 'note' saying why there is none" in output
