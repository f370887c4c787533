"""A damaged, edited or clashing archive is refused with a message naming what is wrong, and nothing is written."""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session, SQLModel

from app.audit.models import AuditEvent
from app.auth.models import User
from app.checklists.loader import Catalog
from app.errors import Conflict, Invalid
from app.evidence.files import LocalStorage
from app.programs.models import Institution, Program
from app.transfer.service import export_program, import_program
from tests.conftest import Team
from tests.transfer.conftest import Target, export_bytes

Members = dict[str, bytes]


def rewrite(archive: bytes, change: Callable[[Members], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def edit_manifest(members: Members, edit: Callable[[dict[str, Any]], None], *, fix_checksum: bool) -> None:
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    if fix_checksum:
        members["manifest.sha256"] = f"{hashlib.sha256(members['manifest.json']).hexdigest()}  manifest.json\n".encode()


def count(session: Session, model: type[SQLModel]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def assert_nothing_written(target: Target) -> None:
    for model in (Institution, Program, User, AuditEvent):
        assert count(target.session, model) == 0, model.__name__
    directory = target.storage.directory
    assert not directory.exists() or not any(directory.iterdir())


def refused(target: Target, archive: bytes, catalog: Catalog | None = None) -> Invalid:
    with pytest.raises(Invalid) as caught:
        import_program(target.session, catalog or target.catalog, target.storage, io.BytesIO(archive))
    return caught.value


@pytest.fixture
def archive(realistic: Team, session: Session, storage: LocalStorage) -> bytes:
    return export_bytes(session, storage, realistic.program.id)


def test_an_evidence_file_with_one_byte_changed_is_refused_naming_the_file(archive: bytes, target: Target) -> None:
    def flip_one_byte(members: Members) -> None:
        name = next(n for n in members if n.startswith("evidence/"))
        data = bytearray(members[name])
        data[-3] ^= 0x01
        members[name] = bytes(data)

    damaged = rewrite(archive, flip_one_byte)
    error = refused(target, damaged)
    assert error.field.startswith("evidence/")
    assert error.detail == (f"archive refused: {error.field} does not match its SHA-256 in the manifest "
                            "(corrupted or edited); nothing imported")
    assert_nothing_written(target)


def test_an_edited_manifest_is_refused_naming_the_manifest(archive: bytes, target: Target) -> None:
    def retitle(members: Members) -> None:
        edit_manifest(members, lambda m: m["program"].update(title="A nicer title"), fix_checksum=False)

    error = refused(target, rewrite(archive, retitle))
    assert (error.field, error.detail) == (
        "manifest.json", "archive refused: manifest.json does not match manifest.sha256 (corrupted or edited); "
        "nothing imported",
    )
    assert_nothing_written(target)


def test_an_edited_audit_event_is_refused_even_with_a_recomputed_checksum(archive: bytes, target: Target) -> None:
    def rewrite_history(members: Members) -> None:
        def edit(manifest: dict[str, Any]) -> None:
            manifest["audit_events"][2]["actor_name"] = "Somebody else"

        edit_manifest(members, edit, fix_checksum=True)

    error = refused(target, rewrite(archive, rewrite_history))
    assert error.field == "manifest.json"
    assert "audit_events[2]" in error.detail and "does not match its hash" in error.detail
    assert_nothing_written(target)


def test_a_manifest_with_a_malformed_row_is_refused_naming_the_field(archive: bytes, target: Target) -> None:
    def break_a_date(members: Members) -> None:
        edit_manifest(members, lambda m: m["items"][1].update(due_date="next spring"), fix_checksum=True)

    error = refused(target, rewrite(archive, break_a_date))
    assert error.detail.startswith("archive refused: manifest.json: items[1].due_date: ")
    assert_nothing_written(target)


def test_a_file_not_in_the_manifest_is_refused(archive: bytes, target: Target) -> None:
    def smuggle(members: Members) -> None:
        members["evidence/../../etc/cron.d/job"] = b"* * * * * root true\n"

    error = refused(target, rewrite(archive, smuggle))
    assert error.field == "evidence/../../etc/cron.d/job" and "is not listed in the manifest" in error.detail
    assert_nothing_written(target)


def test_not_a_zip_is_refused(target: Target) -> None:
    error = refused(target, b"%PDF-1.4 not an archive")
    assert error.detail == "archive refused: not a zip archive; nothing imported"


def test_a_failure_part_way_leaves_no_rows_and_no_copied_files(archive: bytes, target: Target) -> None:
    """The last evidence file is missing (and unlisted, so every checksum holds): the import fails after copying
    the first files, and takes everything back."""

    def drop_last_evidence_file(members: Members) -> None:
        manifest = json.loads(members["manifest.json"])
        last = manifest["evidence"][-1]
        assert last["removed_at"] is None
        name = f"evidence/{last['sha256']}"
        del members[name]
        edit_manifest(members, lambda m: m["files"].pop(name), fix_checksum=True)

    error = refused(target, rewrite(archive, drop_last_evidence_file))
    assert error.field.startswith("evidence/") and "pt-minutes.pdf" in error.detail and "missing" in error.detail
    assert_nothing_written(target)


def test_importing_twice_is_refused_and_changes_nothing(archive: bytes, target: Target) -> None:
    import_program(target.session, target.catalog, target.storage, io.BytesIO(archive))
    events, files = count(target.session, AuditEvent), sorted(target.storage.directory.iterdir())
    with pytest.raises(Conflict, match=r"^program .* \('Gene therapy program \d+'\) already exists in this database; "
                                       r"nothing imported$"):
        import_program(target.session, target.catalog, target.storage, io.BytesIO(archive))
    assert count(target.session, AuditEvent) == events and sorted(target.storage.directory.iterdir()) == files


def test_a_missing_checklist_library_version_is_refused_naming_it(archive: bytes, target: Target) -> None:
    with pytest.raises(Conflict, match=r"checklist library 'mini 1\.0\.0', which this server does not have"):
        import_program(target.session, Catalog(), target.storage, io.BytesIO(archive))
    assert_nothing_written(target)


def test_export_refuses_a_program_whose_audit_event_was_altered(
    realistic: Team, session: Session, storage: LocalStorage
) -> None:
    session.execute(text("UPDATE audit_events SET actor_name = 'Someone Else' WHERE seq = 3"))
    session.commit()
    with pytest.raises(Conflict, match=r"^audit event 3 of this program was altered after it was written"):
        export_program(session, storage, realistic.program.id, io.BytesIO())
