"""The documentation a new user reads matches the code: the API table lists every /api route and only real routes,
and the README links nothing outside the repository."""

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.config import PROJECT_ROOT

API_DOC = PROJECT_ROOT / "docs" / "api.md"
ROW = re.compile(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`\s*\|", re.MULTILINE)


def normalised(path: str) -> str:
    """`{program_id}` and `{id}` name the same segment: compare paths with their parameters blanked."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            path = context.path or route.path
            found |= {(method, normalised(path)) for method in route.methods - {"HEAD"}}
    return found


def documented() -> list[tuple[str, str]]:
    return [(method, normalised(path)) for method, path in ROW.findall(API_DOC.read_text())]


def test_every_row_of_the_api_table_is_a_route(app: FastAPI) -> None:
    rows = documented()
    assert len(rows) > 40
    missing = [f"{method} {path}" for method, path in rows if (method, path) not in app_routes(app)]
    assert not missing, f"docs/api.md lists routes the app does not have: {missing}"


def test_every_api_route_is_in_the_table(app: FastAPI) -> None:
    rows = set(documented())
    undocumented = sorted(f"{method} {path}" for method, path in app_routes(app)
                          if path.startswith("/api/") and (method, path) not in rows)
    assert not undocumented, f"add these routes to the table in docs/api.md: {undocumented}"


def markdown_links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_readme_and_docs_link_only_inside_the_repository() -> None:
    """A clone explains itself: no link to ../shared or other folders beside the repository, and none broken."""
    documents = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text()
        assert "../shared" not in text and "shared/" not in text, document
        for target in markdown_links(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor in the same page
            resolved = (document.parent / target.split("#")[0]).resolve()
            assert resolved.is_relative_to(PROJECT_ROOT), f"{document.name} links outside the repository: {target}"
            assert resolved.exists(), f"{document.name} links to a missing file: {target}"


def test_readme_states_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert len(readme.splitlines()) < 120, "keep the README an index; move reference material into docs/"
    assert "docs/api.md" in readme
    # A script writer finds how to get an API token without leaving the README.
    assert "gtready tokens create" in readme and "X-CSRF-Token" in readme and "POST /api/auth/tokens" in readme
