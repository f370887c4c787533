"""A TestClient that logs in through the login form and posts forms with the page's CSRF token, as a browser
without JavaScript would."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Team


class FormClient:
    def __init__(self, app: FastAPI, email: str) -> None:
        self.client = TestClient(app)
        response = self.client.post("/login", data={"email": email, "password": PASSWORD, "next": "/"},
                                    follow_redirects=False)
        assert response.status_code == 303, response.text
        self.csrf = ""

    def get(self, path: str) -> Any:
        """GET a page and keep its CSRF token for the next post."""
        response = self.client.get(path)
        if found := re.search(r'name="csrf_token" value="([^"]+)"', response.text):
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf} | data, follow_redirects=False)


def as_role(app: FastAPI, team: Team, role: str) -> FormClient:
    """The team's person holding `role`, logged in."""
    return FormClient(app, team.people[role].email)
