"""Whatever an author writes, the loader either loads it or names the problem: it never crashes."""

from pathlib import Path
from tempfile import TemporaryDirectory

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.checklists.loader import LibraryError, load_path
from tests.conftest import FIXTURE_CHECKLISTS

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["hub", "blocker", "pharmacy_lead", "PHARM-001", "1.0.0", "hemgenix"]),
)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
ITEM_KEYS = ["id", "area", "title", "done_when", "why", "criticality", "weight", "signoff_role", "evidence",
             "applies_to", "depends_on", "renewal_months", "references"]
VALID_HEADER = yaml.safe_load((FIXTURE_CHECKLISTS / "mini" / "1.0.0" / "library.yaml").read_text())


def loads_or_names_problems(text: str) -> None:
    with TemporaryDirectory() as directory:
        folder = Path(directory) / "lib" / "1.0.0"
        folder.mkdir(parents=True)
        (folder / "library.yaml").write_text(yaml.safe_dump(VALID_HEADER))
        (folder / "items.yaml").write_text(text)
        try:
            load_path(folder)
        except LibraryError as error:
            assert error.problems, "an error must name at least one problem"
            assert all(str(problem).startswith(str(problem.path)) or "items.yaml" in str(problem)
                       for problem in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    loads_or_names_problems(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAML_VALUES)
def test_arbitrary_yaml_structures_never_crash_the_loader(value: object) -> None:
    loads_or_names_problems(yaml.safe_dump(value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({}, optional={key: YAML_VALUES for key in ITEM_KEYS}), max_size=4))
def test_item_shaped_yaml_never_crashes_the_loader(items: list[dict[str, object]]) -> None:
    loads_or_names_problems(yaml.safe_dump({"area": "pharmacy", "items": items}))
