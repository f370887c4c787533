"""Reports generated in the background: enqueue, claim (exactly one claimant), run with progress, recover.

Rendering a report takes seconds (longer for big programs), so pages and the asynchronous API enqueue a job and
return at once. Whoever claims the job runs it: the web process that took the request starts it straight away
(so `make run` needs no worker), and every `gtready worker` pass claims what is still queued, so with several
replicas any process may run a job, and only one does (`FOR UPDATE SKIP LOCKED` on PostgreSQL, an UPDATE guarded
by the job's state on SQLite, as app/notifications/worker.py claims emails). Progress is committed in its own
short transaction, so another process's page sees it while the PDF renders. A claimant that stops answering
(its process died) gives the job back after `STALE_CLAIM`; each claim carries a fresh token, and only the
current claimant may record progress or a result.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from app.auth.models import User
from app.auth.permissions import require_member
from app.checklists.loader import Catalog
from app.clock import utcnow
from app.errors import DomainError, Forbidden, NotFound
from app.programs.access import PROGRAM_MANAGERS
from app.programs.models import Program
from app.reports.models import ReportJob
from app.reports.schemas import ReportJobState, ReportKind
from app.reports.service import generate_report

log = logging.getLogger("gtready.reports")
STALE_CLAIM = timedelta(minutes=10)  # no progress for this long: the claimant's process is gone
MAX_ATTEMPTS = 3  # claims before a job that keeps stalling its process shows as failed
ACTIVE = (ReportJobState.QUEUED, ReportJobState.RUNNING)


class ClaimLost(Exception):
    """This process's claim was given back and taken by another: stop before storing anything."""


@dataclass(frozen=True)
class Claim:
    job_id: uuid.UUID
    token: uuid.UUID


def enqueue_report_job(
    session: Session, actor: User, program: Program, kind: ReportKind, prepared_for: str
) -> ReportJob:
    """Queue a report of `program` asked for by `actor` (whose right to generate it the caller checked)."""
    now = utcnow()
    job = ReportJob(
        program_id=program.id, institution_id=program.institution_id, requested_by_id=actor.id,
        requested_by_name=actor.full_name, kind=kind.value, prepared_for=prepared_for, state=ReportJobState.QUEUED,
        step="Waiting to start", created_at=now, updated_at=now,
    )
    session.add(job)
    session.commit()
    return job


def job_for(session: Session, user: User, job_id: uuid.UUID) -> ReportJob:
    """A job any member of its institution may follow (404 to everyone else, as for its program)."""
    job = session.get(ReportJob, job_id)
    if job is None:
        raise NotFound("report job not found")
    require_member(session, user, job.institution_id, what="report job")
    return job


def active_jobs(session: Session, program_id: uuid.UUID) -> list[ReportJob]:
    """A program's jobs still queued or running, oldest first."""
    query = (
        select(ReportJob)
        .where(col(ReportJob.program_id) == program_id, col(ReportJob.state).in_(ACTIVE))
        .order_by(col(ReportJob.created_at))
    )
    return list(session.scalars(query))


def recover_stale_jobs(session: Session) -> int:
    """Give back the jobs of claimants that stopped answering; a job that stalled too often fails, saying so."""
    cutoff = utcnow() - STALE_CLAIM
    stale = (col(ReportJob.state) == ReportJobState.RUNNING, col(ReportJob.updated_at) < cutoff)
    failed = session.execute(
        update(ReportJob).where(*stale, col(ReportJob.attempts) >= MAX_ATTEMPTS)
        .values(state=ReportJobState.FAILED, claim_token=None, finished_at=utcnow(),
                error=f"the process generating it stopped answering {MAX_ATTEMPTS} times; try again")
    ).rowcount  # type: ignore[attr-defined]
    requeued = session.execute(
        update(ReportJob).where(*stale).values(state=ReportJobState.QUEUED, claim_token=None,
                                               step="Waiting to start again", updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return int(failed) + int(requeued)


def claim_job(session: Session, job_id: uuid.UUID | None = None) -> Claim | None:
    """Claim one queued job (the given one, or the oldest) for this process alone; committed before it runs."""
    recover_stale_jobs(session)
    now, token = utcnow(), uuid.uuid4()
    queued = select(col(ReportJob.id)).where(col(ReportJob.state) == ReportJobState.QUEUED)
    if job_id is not None:
        queued = queued.where(col(ReportJob.id) == job_id)
    queued = queued.order_by(col(ReportJob.created_at))
    claimed = update(ReportJob).values(
        state=ReportJobState.RUNNING, claim_token=token, attempts=ReportJob.attempts + 1, started_at=now,
        updated_at=now, step="Starting", progress=0.0,
    )
    won: uuid.UUID | None = None
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalars(queued.limit(1).with_for_update(skip_locked=True)).first()
        if found is not None:
            session.execute(claimed.where(col(ReportJob.id) == found))
            won = found
    else:
        for candidate in list(session.scalars(queued.limit(10))):  # another process may take the first ones
            rows = session.execute(
                claimed.where(col(ReportJob.id) == candidate, col(ReportJob.state) == ReportJobState.QUEUED)
            ).rowcount  # type: ignore[attr-defined]
            if rows == 1:
                won = candidate
                break
    session.commit()
    return Claim(won, token) if won is not None else None


def _record_progress(engine: Engine, claim: Claim, step: str, fraction: float) -> None:
    """Commit the step in its own short transaction; raise ClaimLost if the job is no longer ours."""
    with Session(engine) as own:
        rows = own.execute(
            update(ReportJob)
            .where(col(ReportJob.id) == claim.job_id, col(ReportJob.claim_token) == claim.token,
                   col(ReportJob.state) == ReportJobState.RUNNING)
            .values(step=step, progress=max(0.0, min(fraction, 1.0)), updated_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        own.commit()
    if rows != 1:
        raise ClaimLost


def _finish(session: Session, claim: Claim, **values: object) -> bool:
    now = utcnow()
    rows = session.execute(
        update(ReportJob)
        .where(col(ReportJob.id) == claim.job_id, col(ReportJob.claim_token) == claim.token)
        .values(claim_token=None, updated_at=now, finished_at=now, **values)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(rows == 1)


def _requester(session: Session, job: ReportJob) -> User:
    """The person who asked, if they still may generate this program's reports (rights can change meanwhile)."""
    actor = session.get(User, job.requested_by_id) if job.requested_by_id else None
    if actor is None or not actor.is_active:
        raise Forbidden(f"{job.requested_by_name}, who asked for this report, no longer has an account here")
    try:
        require_member(session, actor, job.institution_id, PROGRAM_MANAGERS, what="program")
    except DomainError:
        raise Forbidden(
            f"{actor.full_name} is no longer a champion or administrator of this institution, so the report "
            "was not generated; someone who is can generate it again"
        ) from None
    return actor


def run_claimed_job(engine: Engine, catalog: Catalog, claim: Claim) -> ReportJob | None:
    """Generate the claimed job's report with progress; record it done (with its number) or failed (why)."""
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(ReportJob, claim.job_id)
        if job is None:  # its program was deleted meanwhile
            return None
        step = "Starting"

        def progress(now_doing: str, fraction: float) -> None:
            nonlocal step
            step = now_doing
            _record_progress(engine, claim, now_doing, fraction)

        try:
            try:
                kind = ReportKind(job.kind)
            except ValueError:
                raise DomainError(f"this server does not know the report kind {job.kind!r}") from None
            program = session.get(Program, job.program_id)
            if program is None:
                raise NotFound("the program no longer exists")
            actor = _requester(session, job)
            report = generate_report(session, catalog, actor, program, kind, job.prepared_for, progress)
        except ClaimLost:
            session.rollback()
            log.warning("report job %s was given back while running here; its new claimant finishes it", job.id)
            return None
        except DomainError as error:
            session.rollback()
            _finish(session, claim, state=ReportJobState.FAILED, error=error.detail)
        except Exception as error:  # noqa: BLE001  (any failure is shown on the page, never lost)
            session.rollback()
            doing = step[:1].lower() + step[1:]
            log.exception("report job %s failed while %s", job.id, doing)
            reason = f"failed while {doing}: {type(error).__name__}: {error}"
            _finish(session, claim, state=ReportJobState.FAILED, error=reason[:1000])
        else:
            _finish(session, claim, state=ReportJobState.DONE, report_number=report.number, step="Done",
                    progress=1.0, error="")
        session.refresh(job)
        return job


def run_report_job(engine: Engine, catalog: Catalog, job_id: uuid.UUID | None = None) -> ReportJob | None:
    """Claim and run one job (the given one, or the oldest queued); None when another process has it."""
    with Session(engine) as session:
        claim = claim_job(session, job_id)
    if claim is None:
        return None
    return run_claimed_job(engine, catalog, claim)


def run_queued_jobs(engine: Engine, catalog: Callable[[], Catalog], limit: int = 20) -> int:
    """Run queued jobs until none is left (or `limit`); the catalog is loaded only if there is work."""
    loaded: Catalog | None = None
    done = 0
    for _ in range(limit):
        with Session(engine) as session:
            claim = claim_job(session)
        if claim is None:
            break
        loaded = loaded or catalog()
        if run_claimed_job(engine, loaded, claim) is not None:
            done += 1
    return done
