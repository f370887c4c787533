"""After logging in, the `next` page is always on this site: no value of it sends a browser elsewhere."""

from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Team

BASE = "http://testserver/"


def where_a_browser_goes(location: str) -> str:
    """The host a browser navigates to for a Location header: browsers drop tabs and newlines from URLs and read
    a backslash as a slash (the WHATWG URL standard), which Python's urljoin does not."""
    normalised = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urlsplit(urljoin(BASE, normalised)).netloc


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example/", "/\\evil.example/", "\\\\evil.example/", "/\t/evil.example/", "/\\/evil.example",
     "https://evil.example/", "javascript:alert(1)", " //evil.example/", "/%5Cevil.example"],
)
def test_login_never_redirects_off_site(app: FastAPI, team: Team, next_path: str) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        response = browser.post("/login", data={"email": "champion@riverside.example", "password": PASSWORD,
                                                "next": next_path})
    assert response.status_code == 303
    assert where_a_browser_goes(response.headers["location"]) == "testserver", response.headers["location"]


def test_an_ordinary_next_page_is_kept(app: FastAPI, team: Team) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        response = browser.post("/login", data={"email": "champion@riverside.example", "password": PASSWORD,
                                                "next": f"/programs/{team.program.id}?area=payer"})
    assert response.headers["location"] == f"/programs/{team.program.id}?area=payer"
