"""Throttling password guesses, without handing strangers a way to lock a person out.

Every password check (a login, an invitation accepted with an existing account's password, the password
re-entered to sign) first reserves an attempt under three keys:

- the email from this client address: 5 attempts, then a wait that doubles from 15 s up to 15 minutes;
- the client address, whatever the email: 100, then a doubling wait from 5 s (password spraying);
- the email, from anywhere: 100, then a doubling wait from 1 s (a ceiling against many addresses at once).

A stranger hammering an account from their own address slows only themselves: the owner's address has its own
count, and the shared ceiling is far above what one address can reach. The reservation is atomic (the rows are
locked, read and written in one short transaction before the slow argon2 check), so simultaneous guesses cannot
get more checks than the count allows. A correct password clears its own address's count and takes back that
person's failures from the address and account counts (a typo then a success costs the shared counts nothing).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.auth.models import LoginThrottle
from app.clock import utcnow
from app.errors import TooManyRequests

MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a count untouched this long starts again from zero
UNKNOWN_CLIENT = "unknown"
LOCAL_CLIENT = "local"  # a password checked outside any request (the command line)
CLIENT_ADDRESS = "client_address"  # key in a request's Session.info (see remember_client)


@dataclass(frozen=True)
class Policy:
    free: int  # attempts allowed before any wait
    first_wait: timedelta

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt waits once `failures` attempts were made."""
        if failures < self.free:
            return timedelta(0)
        doublings: int = min(failures - self.free, 20)
        return min(self.first_wait * (1 << doublings), MAX_WAIT)


PER_EMAIL_AND_CLIENT = Policy(free=5, first_wait=timedelta(seconds=15))
PER_CLIENT = Policy(free=100, first_wait=timedelta(seconds=5))
PER_EMAIL = Policy(free=100, first_wait=timedelta(seconds=1))


def client_address(request: Request) -> str:
    """The address throttles count by: the socket peer as the server reports it. The server replaces it with
    the X-Forwarded-For address only for proxies the trusted-proxy setting names (`gtready serve`)."""
    host = request.client.host if request.client else ""
    return host[:64] or UNKNOWN_CLIENT


def remember_client(session: Session, request: Request) -> None:
    """Note the caller's address on the request's database session, so a service that re-checks a password
    deep in its work (signing) throttles it like a login without every caller passing the address along."""
    session.info[CLIENT_ADDRESS] = client_address(request)


def remembered_client(session: Session) -> str:
    return str(session.info.get(CLIENT_ADDRESS, UNKNOWN_CLIENT))


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: settle it with `succeeded` (or leave it counted as a failure)."""

    email: str
    client: str
    failures_here: int  # this email's count from this address, the reserved attempt included

    @property
    def pair_key(self) -> str:
        return _pair_key(self.email, self.client)


def _pair_key(email: str, client: str) -> str:
    return f"email+client:{email}|{client}"


def _keys(email: str, client: str) -> dict[str, Policy]:
    return {_pair_key(email, client): PER_EMAIL_AND_CLIENT, f"client:{client}": PER_CLIENT,
            f"email:{email}": PER_EMAIL}


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on both databases."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _describe(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


def reserve_attempt(session: Session, email: str, client: str) -> Attempt:
    """Count one password attempt under every key before the password is checked, or refuse it (429) while
    any key must still wait. Commits the session (the count must stand even when the request then fails)."""
    session.commit()  # the reservation is its own short transaction
    keys = _keys(email, client)
    now = utcnow()
    ordered = sorted(keys)  # one lock order everywhere: no deadlock between simultaneous attempts
    insert = _insert(session)
    session.execute(
        insert(LoginThrottle)
        .values([{"key": k, "failures": 0, "last_failure_at": now, "next_attempt_at": now} for k in ordered])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    rows = session.scalars(
        select(LoginThrottle).where(col(LoginThrottle.key).in_(ordered)).order_by(col(LoginThrottle.key))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    counts: dict[str, int] = {}
    wait = timedelta(0)
    for row in rows:
        forgotten = row.last_failure_at < now - FORGET_AFTER
        counts[row.key] = 0 if forgotten else row.failures
        # Only a count past its free attempts makes anyone wait: a simultaneous attempt may have stamped
        # next_attempt_at with a clock reading a few microseconds later than ours.
        must_wait = keys[row.key].wait_after(counts[row.key]) > timedelta(0)
        if must_wait and row.next_attempt_at > now:
            wait = max(wait, row.next_attempt_at - now)
    if wait > timedelta(0):
        session.rollback()
        raise TooManyRequests(f"too many failed logins; try again in {_describe(wait)}",
                              retry_after=int(wait.total_seconds() + 0.999))
    for key in ordered:
        failures = counts[key] + 1
        session.execute(
            update(LoginThrottle).where(col(LoginThrottle.key) == key).values(
                failures=failures, last_failure_at=now, next_attempt_at=now + keys[key].wait_after(failures)
            )
        )
        counts[key] = failures
    session.commit()
    return Attempt(email, client, counts[_pair_key(email, client)])


def failed(session: Session, attempt: Attempt) -> None:
    """The password was wrong: the reserved attempt stays counted; stamp when it failed. In the caller's
    transaction, written first, so on SQLite the audit event the caller appends next holds the write lock."""
    keys = _lock_in_key_order(session, _keys(attempt.email, attempt.client))
    session.execute(update(LoginThrottle).where(col(LoginThrottle.key).in_(keys)).values(last_failure_at=utcnow()))


def succeeded(session: Session, attempt: Attempt) -> None:
    """The password was right: clear this address's count for the email and take this person's failures back
    from the address and account counts. In the caller's transaction (the caller commits)."""
    _lock_in_key_order(session, _keys(attempt.email, attempt.client))
    # Reset, never delete: a reservation running at the same moment has already counted on the row existing.
    session.execute(update(LoginThrottle).where(col(LoginThrottle.key) == attempt.pair_key)
                    .values(failures=0, next_attempt_at=utcnow()))
    refund = attempt.failures_here
    shared = [k for k in _keys(attempt.email, attempt.client) if k != attempt.pair_key]
    session.execute(
        update(LoginThrottle)
        .where(col(LoginThrottle.key).in_(sorted(shared)))
        .values(failures=case((col(LoginThrottle.failures) > refund, col(LoginThrottle.failures) - refund), else_=0))
    )


def _lock_in_key_order(session: Session, keys: dict[str, Policy]) -> list[str]:
    """Lock the rows in the one order `reserve_attempt` uses, before changing them: a statement's own row order
    is the plan's, and a settling attempt locking pair-then-shared rows deadlocked against a reservation of the
    same email locking them sorted (PostgreSQL, under the soak test)."""
    ordered = sorted(keys)
    session.execute(
        select(col(LoginThrottle.key)).where(col(LoginThrottle.key).in_(ordered)).order_by(col(LoginThrottle.key))
        .with_for_update()
    )
    return ordered


def forget_stale_counts(session: Session) -> int:
    """Delete the counts no one has touched for FORGET_AFTER and that make no one wait: they would start from
    zero anyway, and without this the table keeps one row for every address and email ever guessed. Returns how
    many were deleted (the worker runs it each pass)."""
    now = utcnow()
    result = session.execute(
        delete(LoginThrottle)
        .where(col(LoginThrottle.last_failure_at) < now - FORGET_AFTER)
        .where(col(LoginThrottle.next_attempt_at) <= now)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
