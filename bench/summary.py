"""Headline figures: each benchmark records a few rows (figure, target, whether it holds) as JSON in the folder
named by GTREADY_BENCH_SUMMARY; `bench/run` sets it and, after every bench, prints them as one table with
`python bench/summary.py FOLDER`. Run alone, a bench records nothing."""

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ENV = "GTREADY_BENCH_SUMMARY"


@dataclass(frozen=True)
class Headline:
    benchmark: str
    figure: str  # the measured figure with its unit, e.g. "12.3 ms median (p95 15.1 ms)"
    target: str  # the target in words, e.g. "< 50 ms"
    holds: bool


def record(bench: str, headlines: list[Headline]) -> None:
    """Write this bench's headline figures where `bench/run` collects them (nothing when run alone)."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    path = Path(folder) / f"{bench}.json"
    path.write_text(json.dumps([asdict(h) for h in headlines], indent=1))


def collected(folder: Path) -> list[Headline]:
    return [Headline(**row) for path in sorted(folder.glob("*.json")) for row in json.loads(path.read_text())]


def table(headlines: list[Headline]) -> str:
    header = ("benchmark", "figure", "target", "holds")
    rows = [header, *((h.benchmark, h.figure, h.target, "yes" if h.holds else "NO") for h in headlines)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(folder: Path) -> int:
    headlines = collected(folder)
    print(table(headlines) if headlines else "no benchmark recorded a headline figure")
    failed = [h.benchmark for h in headlines if not h.holds]
    print(f"\n{len(headlines) - len(failed)} of {len(headlines)} targets hold" + (
        f"; not holding: {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
