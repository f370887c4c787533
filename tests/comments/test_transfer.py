"""Comments travel in the program archive: every version, who wrote it and whom it mentions."""

import io
import json
import zipfile

from sqlmodel import Session

from app.audit.service import verify_chain
from app.comments.service import comment_threads
from app.evidence.files import LocalStorage
from app.transfer.service import import_program
from tests.conftest import Team
from tests.transfer.conftest import Target, export_bytes, storage, target  # noqa: F401  (fixtures)


def test_comments_with_their_versions_and_mentions_survive_export_and_restore(
    team: Team, session: Session, storage: LocalStorage, target: Target  # noqa: F811
) -> None:
    lead = team.clients["pharmacy_lead"]
    first = lead.post(team.url("/items/PHARM-001/comments"), json={"body": "Fridge in, @champion to sign"}).json()
    lead.put(f"/api/comments/{first['id']}", json={"body": "Fridge in, @policy_lead to sign", "version": 1})
    team.clients["champion"].post(team.url("/items/PAY-001/comments"), json={"body": "Contract filed"})
    before = {key: comment_threads(session, team.program.id, key) for key in ("PHARM-001", "PAY-001")}

    archive = export_bytes(session, storage, team.program.id)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("manifest.json"))
    assert len(manifest["comments"]) == 3 and len(manifest["comment_mentions"]) == 2
    import_program(target.session, target.catalog, target.storage, io.BytesIO(archive))

    after = {key: comment_threads(target.session, team.program.id, key) for key in ("PHARM-001", "PAY-001")}
    assert after == before
    restored = after["PHARM-001"][0]
    assert [m.full_name for m in restored.mentions] == ["Policy lead"]
    assert [v.body for v in restored.history] == ["Fridge in, @champion to sign"]
    assert verify_chain(target.session).valid
