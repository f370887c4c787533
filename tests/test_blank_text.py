"""Required text that is only white space is refused (422 naming the field), on every field that strips it:
stacked on the NUL check, pydantic used to measure the length before stripping and stored "" for "   "."""

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Team

BLANK = " \t \u3000 "


def field_errors(response: httpx.Response) -> list[str]:
    return [error["loc"][-1] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/auth/tokens", {"name": BLANK}, "name"),
        (f"/api/signoffs/{uuid.uuid4()}/revocation", {"reason": BLANK}, "reason"),
        (f"/api/signoffs/{uuid.uuid4()}/revocation", {"reason": "  a  "}, "reason"),  # 1 character once stripped
        ("/api/invitations/accept", {"token": BLANK, "password": "x" * 12}, "token"),
        ("/api/auth/login", {"email": BLANK, "password": "x"}, "email"),
    ],
    ids=["token name", "revocation reason", "short reason", "invitation token", "login email"],
)
def test_required_text_of_white_space_only_is_refused_naming_the_field(
    team: Team, path: str, body: dict[str, str], field: str
) -> None:
    client: TestClient = team.clients["champion"]
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in field_errors(response)


def test_surrounding_white_space_is_trimmed(team: Team) -> None:
    response = team.clients["champion"].post("/api/auth/tokens", json={"name": "  scripts  "})
    assert response.status_code == 201 and response.json()["name"] == "scripts"
