"""The OpenAPI document says what the API really answers, and the API answers what the document says."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.conftest import Team


def operation(client: TestClient, path: str, method: str) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    found: dict[str, Any] = document["paths"][path][method]
    return found


def error_schema(response: dict[str, Any]) -> str:
    ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return ref


def test_a_405_names_every_method_the_address_takes(anonymous: TestClient) -> None:
    for method in ("OPTIONS", "DELETE", "PUT"):
        response = anonymous.request(method, "/api/auth/tokens")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert response.json() == {"detail": "Method Not Allowed"}


def test_a_method_only_a_parameter_route_takes_is_405_at_a_fixed_address(client: TestClient) -> None:
    """DELETE /api/invitations/{invitation_id} must not read "accept" as an invitation id."""
    response = client.delete("/api/invitations/accept")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_a_browser_gets_the_405_as_a_page(anonymous: TestClient) -> None:
    response = anonymous.delete("/api/auth/tokens", headers={"Accept": "text/html"})
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"].startswith("application/json")  # an /api/ address: JSON even so
    page = anonymous.delete("/login", headers={"Accept": "text/html"})
    assert page.status_code == 405 and page.headers["allow"] == "GET, POST"
    assert page.headers["content-type"].startswith("text/html")


def test_an_if_match_of_other_digits_than_ascii_is_a_422_not_a_500(team: Team) -> None:
    champion = team.clients["champion"]
    for tag in ("²".encode("latin-1"), b"null", b""):  # HTTP headers are latin-1; str.isdigit() took "²"
        response = champion.patch(team.url("/items/PAY-001"), json={"notes": "x"}, headers={"If-Match": tag})
        assert response.status_code == 422, tag
        assert response.json()["detail"][0]["loc"] == ["header", "If-Match"]


def test_every_operation_documents_the_errors_its_construction_gives(anonymous: TestClient) -> None:
    read = operation(anonymous, "/api/programs/{program_id}", "get")["responses"]
    assert {"401", "404", "422", "503"} <= read.keys() and "403" not in read and "400" not in read
    assert error_schema(read["404"]) == "#/components/schemas/Error"
    assert read["401"]["headers"]["WWW-Authenticate"]["required"] is True
    write = operation(anonymous, "/api/programs/{program_id}/items/{key}", "patch")["responses"]
    assert {"400", "401", "403", "404", "409", "422", "503"} <= write.keys()
    assert write["200"]["headers"]["ETag"]["required"] is True
    login = operation(anonymous, "/api/auth/login", "post")["responses"]
    assert "404" not in login and "403" not in login and error_schema(login["429"]) == "#/components/schemas/Error"
    assert anonymous.get("/openapi.json").json()["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_downloads_document_their_media_types_and_file_name_header(anonymous: TestClient) -> None:
    download = operation(anonymous, "/api/evidence/{evidence_id}/download", "get")["responses"]["200"]
    assert {"application/pdf", "image/png", "text/csv"} <= download["content"].keys()
    assert "Content-Disposition" in download["headers"]
    pdf = operation(anonymous, "/api/reports/{number}/pdf", "get")["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"] and {"ETag", "Content-Disposition"} <= pdf["headers"].keys()


def test_optional_parameters_and_form_fields_are_never_documented_as_null(anonymous: TestClient) -> None:
    """On the wire they are absent or text; a client sending the text "null" got a 422."""
    document = anonymous.get("/openapi.json").json()
    for operations in document["paths"].values():
        for op in operations.values():
            for parameter in op.get("parameters", ()):
                assert {"type": "null"} not in parameter["schema"].get("anyOf", []), parameter["name"]
    upload = document["components"]["schemas"]["Body_upload_api_programs__program_id__items__key__evidence_post"]
    assert upload["properties"]["expires_on"]["type"] == "string"


def test_text_fields_document_the_rules_the_api_applies(anonymous: TestClient) -> None:
    schemas = anonymous.get("/openapi.json").json()["components"]["schemas"]
    reason = schemas["RevocationCreate"]["properties"]["reason"]
    assert reason["pattern"].startswith(r"^[^\x00]*[^\x00\t-\r ")  # no NUL, and something that is not white space
    assert (reason["minLength"], reason["maxLength"]) == (3, 2000)
    assert "@" in schemas["InvitationCreate"]["properties"]["email"]["pattern"]


def test_a_json_body_value_that_only_passes_by_coercion_is_refused(team: Team, client: TestClient) -> None:
    champion = team.clients["champion"]
    for version in ("1", True, 1.5):
        response = champion.patch(team.url("/items/PAY-001"), json={"notes": "x", "version": version})
        assert response.status_code == 422, version
        assert response.json()["detail"][0]["loc"] == ["body", "version"]
    assert champion.patch(team.url("/items/PAY-001"), json={"notes": "x", "version": 1.0}).status_code == 200
    assert champion.patch(team.url("/items/PAY-001"), json={"notes": "y", "version": 2}).status_code == 200
    defaults = champion.get(team.url("/scenarios/defaults")).json()["capacity"]
    body = {"name": "Baseline", "inputs": {**defaults, "annual_attrition": False}}
    assert champion.post(team.url("/scenarios/capacity"), json=body).status_code == 422
    body["inputs"]["annual_attrition"] = 0
    assert champion.post(team.url("/scenarios/capacity"), json=body).status_code == 201


def test_coercion_is_not_checked_before_who_is_asking(anonymous: TestClient, team: Team) -> None:
    """Only a body that is right but for a coercion gets its 422 first; anything else keeps FastAPI's order."""
    assert anonymous.patch(team.url("/items/PAY-001"), json={"version": "one"}).status_code == 401


def test_dates_and_times_in_queries_and_forms_are_iso_8601(team: Team) -> None:
    champion = team.clients["champion"]
    for value in ("0.5", "2026-01-01", "1700000000"):
        response = champion.get(team.url("/audit"), params={"until": value})
        assert response.status_code == 422, value
    assert champion.get(team.url("/audit"), params={"until": "2030-01-01T00:00:00Z"}).status_code == 200
    upload = champion.post(
        team.url("/items/PHARM-001/evidence"), files={"file": ("a.txt", b"text", "text/plain")},
        data={"kind": "other", "expires_on": "86400"},
    )
    assert upload.status_code == 422 and upload.json()["detail"][0]["loc"] == ["body", "expires_on"]


def test_a_name_of_white_space_only_is_refused_and_documented_so(client: TestClient, anonymous: TestClient) -> None:
    assert client.post("/api/institutions", json={"name": "\u3000 \t"}).status_code == 422
    pattern = anonymous.get("/openapi.json").json()["components"]["schemas"]["InstitutionCreate"]["properties"]["name"]
    assert "\\u3000" in pattern["pattern"]


def test_every_address_answers_a_method_it_does_not_take_with_405(app: FastAPI, anonymous: TestClient) -> None:
    """Every route's address, its parameters filled with words, asked with each method no route of that exact
    address takes: 405 naming the methods, never a less specific route's 401, 404 or 422 (PATCH
    /api/programs/{id}/items/bulk once reached the item route and answered that "bulk" is not an item key)."""
    taken: dict[str, set[str]] = {}
    for context in iter_route_contexts(app.routes):
        if context.methods and getattr(context, "path_regex", None) is not None:
            taken.setdefault(context.path_format or "", set()).update(context.methods)
    assert "/api/programs/{program_id}/items/bulk" in taken
    wrong = []
    for path_format, methods in taken.items():
        address = re.sub(r"\{[^}]+\}", "word", path_format)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = anonymous.request(method, address)
            if response.status_code != 405 or response.headers["allow"] != ", ".join(sorted(methods)):
                wrong.append(f"{method} {path_format}: {response.status_code} {response.headers.get('allow')}")
    assert wrong == [], wrong
