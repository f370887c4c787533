"""YAML parsed with its line numbers kept, so errors can point at the line an author must fix."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = display_path(self.path)
        return f"{where} line {self.line}: {self.message}" if self.line else f"{where}: {self.message}"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class YamlSource:
    """One parsed YAML file: its data and the node tree the data came from."""

    path: Path
    data: Any
    root: Node | None

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node `loc` reaches (a key path such as ("items", 3, "title"))."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for step in loc:
            node = _child(node, step)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        return Problem(self.path, self.line_of(loc), message)


def _child(node: Node | None, step: str | int) -> Node | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(step):
                return value  # type: ignore[no-any-return]
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def _duplicate_keys(path: Path, node: Node | None) -> list[Problem]:
    """PyYAML keeps the last of two equal keys silently; an author almost always meant something else."""
    problems: list[Problem] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    problems.append(Problem(path, key.start_mark.line + 1, f"duplicate key '{key.value}'"))
                seen.add(key.value)
            problems += _duplicate_keys(path, value)
    elif isinstance(node, SequenceNode):
        for value in node.value:
            problems += _duplicate_keys(path, value)
    return problems


def read_yaml(path: Path) -> tuple[YamlSource | None, list[Problem]]:
    """Parse `path`; on a syntax error return no source and the problem, with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(path, None, f"cannot read file: {error}")]
    return parse_yaml(path, text)


def parse_yaml(path: Path, text: str) -> tuple[YamlSource | None, list[Problem]]:
    """Parse `text` (named `path` in problems); on a syntax error return no source and the problem, with its line."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:  # a control character; raised before any parsing starts
        return None, [Problem(path, None, f"YAML error: {error}")]
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        return None, [Problem(path, line, f"YAML syntax error: {error.problem or error}")]
    except yaml.YAMLError as error:
        return None, [Problem(path, None, f"YAML error: {error}")]
    finally:
        loader.dispose()
    return YamlSource(path, data, root), _duplicate_keys(path, root)
