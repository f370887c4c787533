"""Export a program to one archive, and restore it into another (or the same, emptied) deployment.

What travels: the institution, the program and every item with its state, sign-offs and revocations (with the
item snapshots and evidence hashes they were signed with), evidence metadata and files, stored reports (data
snapshot and PDF), planning scenarios, the people referred to (email, name, active flag: never a password hash,
superuser flag, session or token), the institution's memberships, and the program's audit events.
The archive format is described in `app.transfer.schemas`.

Checksums. The manifest lists the SHA-256 of every other file and `manifest.sha256` holds the manifest's own, so
a damaged or edited archive is refused, naming the file, before anything is written. (The checksums are not a
signature: they catch corruption and careless edits, not a forger who recomputes them.)

People. A restore on another server needs the people to exist: they are linked by email when the email exists
(their password, name and roles elsewhere are left alone) and otherwise created without a password, keeping
their id when it is free. A created person cannot log in until an administrator sets a password. Every
reference to a person (owner, signer, revoker, uploader, report author, event actor) follows the link.
The institution is matched by id, then by name, and created if neither exists; the archive's memberships are
added to it where missing.

The audit trail is one global hash chain, so a program's events cannot be put back at their original positions
in another deployment's chain. Export refuses to run if any of the program's events no longer matches its own
hash. Import re-verifies every event, then appends each one to the target chain, in the original order, through
the one audit writer, keeping its action, entity, time, actor name and before/after exactly (so the program's
history reads as before), with a new seq, prev_hash and hash, and the actor and institution ids of this
deployment. A final `program.imported` event records, for every restored event, its new seq and its original
seq, prev_hash and hash (and original ids where they changed): `verify_provenance` recomputes each original
hash from the restored event and that record, proving each restored event is the event that was exported. The
target chain stays valid (`gtready audit verify`), and a program can be exported again from the target.

Import writes every row in one transaction, and copies evidence files (checking each hash) before committing;
on any failure the transaction is rolled back and the copied files removed: nothing is half-imported.
"""

from app.transfer.common import read_manifest
from app.transfer.export import ExportSummary, export_program
from app.transfer.provenance import ProvenanceReport, original_event, verify_provenance
from app.transfer.restore import ImportSummary, import_program

__all__ = ["ExportSummary", "ImportSummary", "ProvenanceReport", "export_program", "import_program",
           "original_event", "read_manifest", "verify_provenance"]
