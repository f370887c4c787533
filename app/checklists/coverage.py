"""How a library covers published frameworks (its coverage.yaml), as text for people and the checklists README.

The README's tables are this module's output pasted in, and a test compares the two, so the documentation
cannot claim a coverage the library does not have.
"""

from app.checklists.schema import CoverageFramework, Library


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def framework_markdown(library: Library, framework: CoverageFramework) -> str:
    titles = {item.id: item.title for item in library.items}
    lines = [
        f"#### {library.id} {library.version}: {_cell(framework.title)}",
        "",
        f"Source: {_cell(framework.source)}.",
        "",
        "| Part | Library items | Note |",
        "| --- | --- | --- |",
    ]
    for part in framework.parts:
        items = "<br>".join(f"{key} {_cell(titles[key])}" for key in part.items) or "none"
        note = f"Not mapped: {_cell(part.unmapped_reason)}" if part.unmapped_reason and not part.items else (
            _cell(part.unmapped_reason or "")
        )
        lines.append(f"| {_cell(part.title)} | {items} | {note} |")
    return "\n".join(lines) + "\n"


def coverage_markdown(library: Library) -> str:
    """Every framework's table, separated by a blank line ('' when the library has no coverage map)."""
    if library.coverage is None:
        return ""
    return "\n".join(framework_markdown(library, f) for f in library.coverage.frameworks)


def coverage_text(library: Library) -> str:
    """A terminal summary: parts covered per framework, and each unmapped part with its reason."""
    if library.coverage is None:
        return f"{library.id} {library.version}: no coverage map"
    lines = []
    for framework in library.coverage.frameworks:
        covered = sum(1 for part in framework.parts if part.items)
        lines.append(f"{framework.id}: {covered} of {len(framework.parts)} parts covered ({framework.source})")
        for part in framework.parts:
            detail = ", ".join(part.items) if part.items else f"unmapped: {part.unmapped_reason}"
            lines.append(f"  {part.id}: {detail}")
    return "\n".join(lines)
