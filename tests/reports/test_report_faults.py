"""A report whose rendering or storing fails half-way leaves no half-stored report: no row, no file, no audit
event, and the next report gets the number the failed one would have had."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.auth.models import User
from app.clock import utcnow
from app.programs.service import get_program
from app.reports import render
from app.reports import service as report_service
from app.reports.models import Report
from app.reports.schemas import ReportKind
from tests.conftest import Team
from tests.security.conftest import web_login


def _first_number() -> str:
    return f"GTR-{utcnow().year}-000001"


def _stored(session: Session, data_dir: Path) -> dict[str, Any]:
    session.expire_all()
    return {
        "reports": session.scalar(select(func.count()).select_from(Report)),
        "events": session.scalar(select(func.count()).where(AuditEvent.action == "report.generated")),
        "files": sorted(str(p) for p in data_dir.rglob("*")) if data_dir.exists() else [],
    }


def _breaks_mid_render(data: Any, digest: str, fetcher: Any = None) -> bytes:
    render.render_html(data, digest)  # the template rendered; the PDF engine then fails
    raise RuntimeError("WeasyPrint ran out of memory")


def test_rendering_that_fails_half_way_stores_nothing_and_the_next_report_takes_the_number(
    app: FastAPI, session: Session, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = app.state.settings.data_dir
    before = _stored(session, data_dir)
    monkeypatch.setattr(report_service, "render_pdf", _breaks_mid_render)
    with TestClient(app, raise_server_exceptions=False,
                    headers=dict(team.clients["champion"].headers)) as champion:
        assert champion.post(team.url("/reports"), json={"kind": "full"}).status_code == 500
    monkeypatch.undo()
    assert _stored(session, data_dir) == before
    assert team.clients["viewer"].get(team.url("/reports")).json() == []
    retry = team.clients["champion"].post(team.url("/reports"), json={"kind": "full"})
    assert retry.status_code == 201 and retry.json()["number"] == _first_number()


def test_a_failure_after_the_report_row_is_written_rolls_it_back_in_the_same_session(
    app: FastAPI, session: Session, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line and web pages keep using their session after an error: nothing of the failed report
    may linger in it, to be committed with the next one."""
    program = get_program(session, team.program.id)
    actor = session.get(User, team.people["champion"].id)

    def audit_fails(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit append failed")

    monkeypatch.setattr(report_service, "record_event", audit_fails)
    with pytest.raises(RuntimeError, match="audit append failed"):
        report_service.generate_report(session, app.state.catalog, actor, program, ReportKind.EXECUTIVE, "Board")
    monkeypatch.undo()
    report = report_service.generate_report(session, app.state.catalog, actor, program, ReportKind.EXECUTIVE, "Board")
    assert report.number == _first_number()
    numbers = [r.number for r in report_service.list_reports(session, program.id)]
    assert numbers == [_first_number()]
    assert _stored(session, app.state.settings.data_dir)["events"] == 1


def test_the_web_page_survives_a_failed_rendering(
    app: FastAPI, session: Session, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page answers at once; the background job that failed says why on the page, and trying again works."""
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as browser:
        csrf = web_login(browser, "champion@riverside.example")
        monkeypatch.setattr(report_service, "render_pdf", _breaks_mid_render)
        failed = browser.post(f"/programs/{team.program.id}/reports", data={"kind": "full", "csrf_token": csrf})
        monkeypatch.undo()
        assert failed.status_code == 303
        page = browser.get(failed.headers["location"])
        assert page.status_code == 200 and "The full report could not be generated." in page.text
        assert "Failed while laying out and rendering the PDF: RuntimeError: WeasyPrint ran out of memory" in page.text
        assert _stored(session, app.state.settings.data_dir)["reports"] == 0
        made = browser.post(f"/programs/{team.program.id}/reports", data={"kind": "full", "csrf_token": csrf})
        assert made.status_code == 303
        assert f"Report {_first_number()} generated." in browser.get(made.headers["location"]).text
    assert _stored(session, app.state.settings.data_dir)["reports"] == 1
