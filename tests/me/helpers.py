"""Putting items in the states My work and the calendar feeds look for, through the API."""

from datetime import date, datetime, timedelta
from typing import Any

from app.clock import frozen_at, utcnow
from tests.conftest import PASSWORD, Team


def change(team: Team, key: str, client: str = "champion", **fields: Any) -> dict[str, Any]:
    item = team.clients[client].get(team.url(f"/items/{key}")).json()
    body = {k: (v.isoformat() if isinstance(v, date) else str(v) if k == "owner_id" and v else v)
            for k, v in fields.items()} | {"version": item["version"]}
    response = team.clients[client].patch(team.url(f"/items/{key}"), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def sign_pol_002(team: Team, signed_at: datetime | None = None) -> dict[str, Any]:
    """POL-002 (renewed every 12 months) marked done and signed by the policy lead at `signed_at`."""
    with frozen_at(signed_at or utcnow()):
        version = change(team, "POL-002", status="done")["version"]
        body = {"password": PASSWORD, "meaning": "approved", "version": version}
        response = team.clients["policy_lead"].post(team.url("/items/POL-002/signoffs"), json=body)
        assert response.status_code == 201, response.text
    return dict(team.clients["champion"].get(team.url("/items/POL-002")).json())


def days(n: int) -> date:
    return utcnow().date() + timedelta(days=n)
