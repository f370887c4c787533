"""The dossier zip: written the same way every time (stored entries, fixed times), so a dossier rebuilt from its
manifest, its index PDF and the evidence files is byte for byte the zip first generated; and read back with every
size checked in the central directory before a byte is inflated."""

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from pydantic import BaseModel, ValidationError

from app.errors import Conflict
from app.evidence.files import CHUNK

MANIFEST = "manifest.json"
INDEX = "index.pdf"
MAX_ENTRIES = 10_000
MAX_MANIFEST_BYTES = 16 << 20
MAX_RATIO = 200  # a member inflating more than this from its compressed size is treated as a zip bomb


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def canonical(manifest: Any) -> str:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _info(name: str, moment: datetime, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(max(moment.year, 1980), moment.month, moment.day,
                                            moment.hour, moment.minute, moment.second - moment.second % 2))
    info.compress_type = zipfile.ZIP_STORED  # evidence is mostly PDF, images and Office files: already compressed
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.file_size = size
    return info


@dataclass(frozen=True)
class ZipMember:
    """One evidence file to copy into the zip: where it lives and what the manifest says it is."""

    path: str
    source: Path
    size: int
    sha256: str


def write_zip(
    target: IO[bytes], moment: datetime, manifest: dict[str, Any], index_pdf: bytes, files: list[ZipMember]
) -> None:
    """manifest.json, index.pdf, then each evidence file streamed from disk, checked against its hash as it is
    copied (a file changed in storage since it was uploaded is refused, naming it). `target` must be seekable."""
    body = manifest_bytes(manifest)
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        archive.writestr(_info(MANIFEST, moment, len(body)), body)
        archive.writestr(_info(INDEX, moment, len(index_pdf)), index_pdf)
        for entry in files:
            digest, size = hashlib.sha256(), 0
            try:
                with entry.source.open("rb") as source, archive.open(_info(entry.path, moment, entry.size), "w") as out:
                    while chunk := source.read(CHUNK):
                        size += len(chunk)
                        if size > entry.size:
                            break
                        digest.update(chunk)
                        out.write(chunk)
            except FileNotFoundError:
                raise Conflict(f"{entry.path}: the evidence file is missing from storage") from None
            except (RuntimeError, OSError) as error:  # zipfile refuses a file longer than the size it announced
                message = f"{entry.path}: the evidence file in storage differs from its upload ({error})"
                raise Conflict(message) from None
            if size != entry.size or digest.hexdigest() != entry.sha256:
                raise Conflict(f"{entry.path}: the evidence file in storage no longer matches its SHA-256")


def sha256_of(handle: IO[bytes]) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class _FileEntry(BaseModel):
    path: str
    size: int
    sha256: str


class _Item(BaseModel):
    key: str
    evidence: list[_FileEntry]


class _Shape(BaseModel):
    """What verification needs of a manifest; other fields are compared with the stored record as they are."""

    number: str
    index_pdf: _FileEntry
    items: list[_Item]


@dataclass
class ZipCheck:
    manifest: dict[str, Any] | None
    files_checked: int
    problems: list[str]


class NotAZip(Exception):
    pass


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(info) as member:
        read = 0
        while chunk := member.read(CHUNK):
            read += len(chunk)
            if read > info.file_size:
                raise NotAZip("a member inflates past the size its directory entry declares")
            yield chunk


def check_zip(source: BinaryIO, max_unpacked: int) -> ZipCheck:
    """Every file of the zip against its manifest. Sizes, counts and ratios come from the central directory and
    are checked before anything is read, so a zip bomb is refused without inflating it."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise NotAZip(f"not a readable zip archive ({error})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise NotAZip(f"{len(infos)} entries, more than a dossier holds ({MAX_ENTRIES})")
        total = sum(i.file_size for i in infos)
        if total > max_unpacked:
            raise NotAZip(f"its files unpack to {total:,} bytes, more than {max_unpacked:,}")
        for info in infos:
            if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
                raise NotAZip(f"{info.filename}: compressed more than {MAX_RATIO} to 1 (a zip bomb?)")
        members = {i.filename: i for i in infos}
        counts = Counter(i.filename for i in infos)
        problems = [f"{name}: appears more than once in the zip" for name, n in sorted(counts.items()) if n > 1]
        found = members.get(MANIFEST)
        if found is None:
            return ZipCheck(None, 0, [*problems, f"{MANIFEST}: missing from the zip"])
        if found.file_size > MAX_MANIFEST_BYTES:
            return ZipCheck(None, 0, [*problems, f"{MANIFEST}: larger than any dossier manifest"])
        try:
            raw = b"".join(_read_bounded(archive, found))
            manifest = json.loads(raw.decode("utf-8"))
            shape = _Shape.model_validate(manifest)
        except (zipfile.BadZipFile, NotAZip, OSError, EOFError, ValueError, ValidationError, RecursionError):
            return ZipCheck(None, 0, [*problems, f"{MANIFEST}: not a dossier manifest"])
        expected = [shape.index_pdf, *(f for item in shape.items for f in item.evidence)]
        checked = 0
        for entry in expected:
            member = members.get(entry.path)
            if member is None:
                problems.append(f"{entry.path}: listed in the manifest but missing from the zip")
                continue
            digest, size = hashlib.sha256(), 0
            try:
                for chunk in _read_bounded(archive, member):
                    size += len(chunk)
                    digest.update(chunk)
            except (zipfile.BadZipFile, NotAZip, OSError, EOFError, ValueError, NotImplementedError) as error:
                problems.append(f"{entry.path}: damaged in the zip ({error})")
                continue
            checked += 1
            if size != entry.size or digest.hexdigest() != entry.sha256:
                problems.append(f"{entry.path}: does not match the manifest (size or SHA-256 differs)")
        listed = {MANIFEST, *(e.path for e in expected)}
        problems += [f"{name}: in the zip but not in the manifest" for name in sorted(members) if name not in listed]
        return ZipCheck(manifest, checked, problems)
