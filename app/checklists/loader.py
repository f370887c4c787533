"""Load checklist libraries from YAML: all of a library, or none of it with every problem named."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.checklists.defaults_check import check_planning_defaults, is_planning_defaults
from app.checklists.schema import (
    LOCAL_PREFIX,
    CoverageMap,
    IncludeRef,
    ItemDef,
    Library,
    LibraryHeader,
    PartFile,
    Phase,
    ProductStatus,
    version_key,
)
from app.checklists.yaml_source import Problem, YamlSource, display_path, read_yaml

LIBRARY_FILE = "library.yaml"
COVERAGE_FILE = "coverage.yaml"
M = TypeVar("M", bound=BaseModel)


class LibraryError(Exception):
    """One or more problems made a library (or a tree of them) unloadable."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Catalog:
    """Every library version found under a folder."""

    libraries: dict[tuple[str, str], Library] = field(default_factory=dict)

    def get(self, library_id: str, version: str) -> Library | None:
        return self.libraries.get((library_id, version))

    def versions(self, library_id: str) -> list[Library]:
        found = [lib for (lid, _), lib in self.libraries.items() if lid == library_id]
        return sorted(found, key=lambda lib: version_key(lib.version))

    def latest(self, library_id: str) -> Library | None:
        versions = self.versions(library_id)
        return versions[-1] if versions else None

    def all(self) -> list[Library]:
        return sorted(self.libraries.values(), key=lambda lib: (lib.id, version_key(lib.version)))


def _validation_problems(
    source: YamlSource, error: ValidationError, prefix: Sequence[str | int], label: str
) -> list[Problem]:
    problems = []
    for detail in error.errors():
        loc = [*prefix, *detail["loc"]]
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown key"
        field_name = ".".join(str(part) for part in detail["loc"]) or "value"
        problems.append(source.problem(loc, f"{label}{field_name}: {message}"))
    return problems


def _validate(
    model: type[M], data: Any, source: YamlSource, prefix: Sequence[str | int], label: str = ""
) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, _validation_problems(source, error, prefix, label)


@dataclass
class _PlacedItem:
    item: ItemDef
    source: YamlSource
    loc: tuple[str | int, ...]


def _items_of(source: YamlSource, raw_items: list[Any], default_area: str | None) -> tuple[
    list[_PlacedItem], list[Problem]
]:
    placed: list[_PlacedItem] = []
    problems: list[Problem] = []
    for index, raw in enumerate(raw_items):
        loc: tuple[str | int, ...] = ("items", index)
        if not isinstance(raw, dict):
            problems.append(source.problem(loc, f"items[{index}]: an item must be a mapping"))
            continue
        label = f"item {raw.get('id', f'#{index + 1}')}: "
        data = {"area": default_area, **raw} if default_area else raw
        item, item_problems = _validate(ItemDef, data, source, loc, label)
        problems += item_problems
        if item is not None:
            placed.append(_PlacedItem(item, source, loc))
    return placed, problems


def _header_problems(source: YamlSource, header: LibraryHeader) -> list[Problem]:
    """A product that is not active must say since when and on whose word: a refusal quotes both."""
    problems: list[Problem] = []
    for index, product in enumerate(header.products):
        if product.status == ProductStatus.ACTIVE:
            continue
        for name in ("status_date", "status_source"):
            if getattr(product, name) is None:
                message = f"product {product.id}: {name}: required when status is {product.status}"
                problems.append(source.problem(("products", index, "status"), message))
    seen: set[str] = set()
    for index, retired in enumerate(header.retired):
        if retired.id in seen:
            problems.append(source.problem(("retired", index, "id"), f"retired: {retired.id} is listed twice"))
        seen.add(retired.id)
        if version_key(retired.version) > version_key(header.version):
            message = f"retired: {retired.id} retired in {retired.version}, after this library's {header.version}"
            problems.append(source.problem(("retired", index, "version"), message))
    return problems


def _item_rules(header: LibraryHeader, entry: _PlacedItem) -> list[Problem]:
    """Per-item rules that need the header: retired ids, jurisdictions, pre-dose items of a discontinued product."""
    item, label, problems = entry.item, f"item {entry.item.id}: ", []
    if item.id.startswith(LOCAL_PREFIX):
        message = f"{label}id: ids starting with {LOCAL_PREFIX} are kept for programs' own local items"
        problems.append(entry.source.problem((*entry.loc, "id"), message))
    retired = next((r for r in header.retired if r.id == item.id), None)
    if retired is not None:
        message = f"{label}id: {item.id} was retired in {retired.version} and may not be reused"
        problems.append(entry.source.problem((*entry.loc, "id"), message))
    for value in item.applies_to.jurisdictions or []:
        if value not in header.jurisdictions:
            loc = (*entry.loc, "applies_to", "jurisdictions")
            message = f"{label}applies_to.jurisdictions: '{value}' is not one of this library's jurisdictions"
            problems.append(entry.source.problem(loc, f"{message} ({', '.join(header.jurisdictions)})"))
    statuses = {p.id: p.status for p in header.products}
    products = item.applies_to.products
    if (
        item.phase == Phase.PRE_DOSE
        and products
        and all(statuses.get(p) == ProductStatus.DISCONTINUED for p in products)
    ):
        message = f"{label}phase: pre-dose items of a discontinued product must be retired (list the id in retired)"
        problems.append(entry.source.problem((*entry.loc, "phase"), message))
    return problems


def _cross_check(header: LibraryHeader, placed: list[_PlacedItem]) -> list[Problem]:
    """Rules that span items: unique ids, known areas and products, dependencies that exist and end."""
    problems: list[Problem] = []
    areas = {a.id for a in header.areas}
    products = {p.id for p in header.products}
    diseases = {p.disease for p in header.products}
    first_seen: dict[str, _PlacedItem] = {}
    for entry in placed:
        item, label = entry.item, f"item {entry.item.id}: "
        if item.id in first_seen:
            other = first_seen[item.id]
            # An item taken in from a core file is named by its path, so the author knows which file holds it.
            name = other.source.path.name if other.source.path.parent == entry.source.path.parent else (
                display_path(other.source.path))
            where = f"{name} line {other.source.line_of(other.loc)}"
            message = f"{label}duplicate item id (first at {where})"
            problems.append(entry.source.problem((*entry.loc, "id"), message))
            continue
        first_seen[item.id] = entry
        if item.area not in areas:
            message = f"{label}area: unknown area '{item.area}'"
            problems.append(entry.source.problem((*entry.loc, "area"), message))
        for name, known, values in (
            ("products", products, item.applies_to.products),
            ("diseases", diseases, item.applies_to.diseases),
        ):
            for value in values or []:
                if value not in known:
                    loc = (*entry.loc, "applies_to", name)
                    problems.append(entry.source.problem(loc, f"{label}applies_to.{name}: unknown '{value}'"))
        problems += _item_rules(header, entry)
    for entry in first_seen.values():
        for dep in entry.item.depends_on:
            if dep not in first_seen:
                message = f"item {entry.item.id}: depends_on: unknown item '{dep}'"
                problems.append(entry.source.problem((*entry.loc, "depends_on"), message))
    problems += _cycles(first_seen)
    return problems


def _cycles(items: dict[str, _PlacedItem]) -> list[Problem]:
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(item_id: str, path: list[str]) -> None:
        state[item_id] = 1
        for dep in items[item_id].item.depends_on:
            if dep not in items:
                continue
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                entry = items[dep]
                message = f"item {dep}: depends_on: dependency cycle {' -> '.join(cycle)}"
                problems.append(entry.source.problem((*entry.loc, "depends_on"), message))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[item_id] = 2

    for item_id in items:
        if item_id not in state:
            visit(item_id, [item_id])
    return problems


def _coverage(source: YamlSource, items: set[str]) -> tuple[CoverageMap | None, list[Problem]]:
    """A coverage map may only name items of its library, and an empty part must say why nothing covers it."""
    coverage, problems = _validate(CoverageMap, source.data, source, ())
    if coverage is None:
        return None, problems
    for f_index, framework in enumerate(coverage.frameworks):
        for p_index, part in enumerate(framework.parts):
            loc: tuple[str | int, ...] = ("frameworks", f_index, "parts", p_index)
            label = f"framework {framework.id} part {part.id}: "
            for i_index, key in enumerate(part.items):
                if key not in items:
                    message = f"{label}items: unknown item '{key}'"
                    problems.append(source.problem((*loc, "items", i_index), message))
            if not part.items and part.unmapped_reason is None:
                message = f"{label}unmapped_reason: required when items is empty"
                problems.append(source.problem((*loc, "items"), message))
    return coverage, problems


def _assemble(
    header_source: YamlSource, parts: Iterable[YamlSource], coverage_source: YamlSource | None = None
) -> Library:
    problems: list[Problem] = []
    data = header_source.data if isinstance(header_source.data, dict) else {}
    if not isinstance(header_source.data, dict):
        raise LibraryError([header_source.problem((), "a library file must be a mapping")])
    header_data = {k: v for k, v in data.items() if k not in ("items", "includes")}
    header, problems = _validate(LibraryHeader, header_data, header_source, ())
    placed, item_problems = _items_of(header_source, data.get("items") or [], None)
    problems += item_problems
    for part in parts:
        part_model, part_problems = _validate(PartFile, part.data, part, ())
        problems += part_problems
        if part_model is not None:
            part_items, part_item_problems = _items_of(part, part_model.items, part_model.area)
            placed += part_items
            problems += part_item_problems
    if header is None:
        raise LibraryError(problems)
    problems += _header_problems(header_source, header)
    problems += _cross_check(header, placed)
    coverage = None
    if coverage_source is not None:
        coverage, coverage_problems = _coverage(coverage_source, {entry.item.id for entry in placed})
        problems += coverage_problems
    if problems:
        raise LibraryError(problems)
    return Library(
        id=header.id,
        version=header.version,
        title=header.title,
        description=header.description,
        products=header.products,
        jurisdictions=header.jurisdictions,
        areas=header.areas,
        items=[entry.item for entry in placed],
        retired=header.retired,
        coverage=coverage,
    )


def validate_library(source: YamlSource, coverage_source: YamlSource | None = None) -> Library:
    """A library held in memory (an institution's upload): one source with the header and every item (each naming
    its area), checked by the same rules as the shipped files. Raises LibraryError naming every problem."""
    if isinstance(source.data, dict) and "includes" in source.data:
        message = "includes: only the shipped libraries may include core files; list every item in the upload"
        raise LibraryError([source.problem(("includes",), message)])
    return _assemble(source, [], coverage_source)


def _includes_of(source: YamlSource) -> tuple[list[IncludeRef], list[Problem]]:
    data = source.data.get("includes") if isinstance(source.data, dict) else None
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [source.problem(("includes",), "includes: must be a list of {path: ...}")]
    refs: list[IncludeRef] = []
    problems: list[Problem] = []
    for index, raw in enumerate(data):
        ref, ref_problems = _validate(IncludeRef, raw, source, ("includes", index), f"includes[{index}].")
        problems += ref_problems
        if ref is not None:
            refs.append(ref)
    return refs, problems


def _resolve_includes(source: YamlSource, stack: tuple[Path, ...] = ()) -> list[YamlSource]:
    """The files `source` includes (`includes: [{path: ../../core/1.0.0/pharmacy.yaml}]`, relative to `source`),
    and theirs, depth first, each at most once. A missing file, a cycle or a file that is not a core/part file is
    an error at the line of the `path` that names it."""
    found: list[YamlSource] = []
    problems: list[Problem] = []
    seen: set[Path] = set()

    def visit(current: YamlSource, chain: tuple[Path, ...]) -> None:
        nonlocal problems
        refs, ref_problems = _includes_of(current)
        problems += ref_problems
        for index, ref in enumerate(refs):
            loc: tuple[str | int, ...] = ("includes", index, "path")
            target = (current.path.parent / ref.path).resolve()
            if target in chain:
                cycle = " -> ".join(display_path(p) for p in (*chain[chain.index(target):], target))
                problems.append(current.problem(loc, f"includes: include cycle {cycle}"))
                continue
            if target in seen:
                continue
            if not target.is_file():
                problems.append(current.problem(loc, f"includes: no such file '{ref.path}'"))
                continue
            included, read_problems = read_yaml(target)
            problems += read_problems
            if included is None:
                continue
            kind = included.data.get("kind") if isinstance(included.data, dict) else None
            if kind != "core":
                message = f"includes: '{ref.path}' is not a core file (it must say kind: core)"
                problems.append(current.problem(loc, message))
                continue
            seen.add(target)
            found.append(included)
            visit(included, (*chain, target))

    visit(source, (*stack, source.path.resolve()))
    if problems:
        raise LibraryError(problems)
    return found


def _read_all(paths: Iterable[Path]) -> list[YamlSource]:
    sources, problems = [], []
    for path in paths:
        source, read_problems = read_yaml(path)
        problems += read_problems
        if source is not None:
            sources.append(source)
    if problems:
        raise LibraryError(problems)
    return sources


def load_library_folder(folder: Path) -> Library:
    """A folder library: `library.yaml` plus part files, and an optional `coverage.yaml`, in the folder named after
    the version."""
    header_path = folder / LIBRARY_FILE
    coverage_path = folder / COVERAGE_FILE
    parts = sorted(p for p in folder.glob("*.yaml") if p.name not in (LIBRARY_FILE, COVERAGE_FILE))
    has_coverage = coverage_path.is_file()
    header, *sources = _read_all([header_path, *parts, *([coverage_path] if has_coverage else [])])
    part_sources, coverage_source = (sources[:-1], sources[-1]) if has_coverage else (sources, None)
    included = [s for source in (header, *part_sources) for s in _resolve_includes(source)]
    library = _assemble(header, _unique([*included, *part_sources]), coverage_source)
    if folder.name != library.version:
        message = f"version: '{library.version}' differs from its folder name '{folder.name}'"
        raise LibraryError([header.problem(("version",), message)])
    return library


def load_library_file(path: Path) -> Library:
    """A single-file library, or a folder library when given its `library.yaml`."""
    if path.name == LIBRARY_FILE:
        return load_library_folder(path.parent)
    (source,) = _read_all([path])
    return _assemble(source, _resolve_includes(source))


def _unique(sources: list[YamlSource]) -> list[YamlSource]:
    """Each file once, even when the header and a part file both include it: an item is never taken in twice."""
    seen: set[Path] = set()
    unique = []
    for source in sources:
        key = source.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


def _file_kind(path: Path) -> str | None:
    source, _ = read_yaml(path)
    if source is None or not isinstance(source.data, dict):
        return "library"  # let the library loader report what is wrong with it
    kind = source.data.get("kind", "library")
    return kind if isinstance(kind, str) else "library"


def load_catalog(root: Path) -> Catalog:
    """Every library under `root`. Files of another `kind` (planning defaults) are left to their readers."""
    folders = sorted({p.parent for p in root.rglob(LIBRARY_FILE)})
    files = sorted(
        p
        for p in root.rglob("*.yaml")
        if p.name != LIBRARY_FILE and p.parent not in folders and _file_kind(p) == "library"
    )
    catalog = Catalog()
    problems: list[Problem] = []
    targets = [*((load_library_folder, f) for f in folders), *((load_library_file, f) for f in files)]
    for load, target in targets:
        try:
            library = load(target)
        except LibraryError as error:
            problems += error.problems
            continue
        if library.key in catalog.libraries:
            problems.append(Problem(target, None, f"library {library.id} {library.version} is defined twice"))
        catalog.libraries[library.key] = library
    if problems:
        raise LibraryError(problems)
    return catalog


def load_path(path: Path) -> list[Library]:
    """What `gtready checklists validate PATH` checks: a file, a library folder, or a whole tree."""
    if path.is_file():
        return [load_library_file(path)]
    if (path / LIBRARY_FILE).is_file():
        return [load_library_folder(path)]
    if path.is_dir():
        return load_catalog(path).all()
    raise LibraryError([Problem(path, None, "no such file or folder")])


def validate_path(path: Path) -> tuple[list[Library], list[Path]]:
    """What `gtready checklists validate PATH` checks: libraries (with their coverage maps) and planning-defaults
    files, in a file, a library folder or a whole tree. Returns the libraries and the defaults files checked."""
    if path.is_file() and is_planning_defaults(path):
        defaults = [path]
    elif path.is_dir():
        defaults = sorted(p for p in path.rglob("*.yaml") if p.parent not in _library_folders(path)
                          and is_planning_defaults(p))
    else:
        defaults = []
    problems = [problem for target in defaults for problem in check_planning_defaults(target)]
    libraries: list[Library] = []
    if not (path.is_file() and defaults):
        try:
            libraries = load_path(path)
        except LibraryError as error:
            problems = [*error.problems, *problems]
    if problems:
        raise LibraryError(problems)
    return libraries, defaults


def _library_folders(root: Path) -> set[Path]:
    return {p.parent for p in root.rglob(LIBRARY_FILE)}
