"""Evidence files: what a file really is (by content, not name), and where its bytes live."""

import hashlib
import re
import shutil
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import DomainError

CHUNK = 1 << 16
ZIP_KINDS = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}

BINARY_SIGNATURES = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"PK\x03\x04")


class TooLarge(DomainError):
    status_code = 413


class UnsupportedType(DomainError):
    status_code = 415


class StorageFailed(DomainError):
    """The disk refused the file (full, read-only, gone): a condition to retry, not a bad request."""

    status_code = 503


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.3g} MB"


MAX_NAME = 200  # characters: the stored column holds 255
MAX_SUFFIX = 10  # ".xlsx" and the like; a longer "extension" is part of the name


def safe_name(name: str) -> str:
    """The file's own name without any path, control characters or leading dots; never empty.

    A long name is shortened in its stem, keeping the extension the type check reads (`sniff`); a name that is only
    an extension (".pdf") gets a stem.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    stem, dot, suffix = base.rpartition(".")
    if not (dot and 0 < len(suffix) <= MAX_SUFFIX and suffix.isalnum()):
        stem, suffix = base, ""
    stem = stem.strip().lstrip(".").strip() or ("evidence" if suffix or not base else "")
    if suffix:
        suffix = "." + suffix
    stem = stem[: MAX_NAME - len(suffix)].rstrip()
    return (stem + suffix) if stem else "evidence"


def sniff(path: Path, name: str) -> str:
    """The content type the bytes prove; a file whose name and content disagree is refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = Path(name).suffix.lower()
    if head.startswith(b"%PDF-") and suffix == ".pdf":
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and suffix == ".png":
        return "image/png"
    if head.startswith(b"\xff\xd8\xff") and suffix in {".jpg", ".jpeg"}:
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:  # an end record that passes the quick check, over a broken directory
            names = []
        office = "[Content_Types].xml" in names
        for prefix, (content_type, expected_suffix) in ZIP_KINDS.items():
            if office and suffix == expected_suffix and any(n.startswith(prefix) for n in names):
                return content_type
    # Text must be text: a PDF, image or archive that happens to decode as UTF-8 is still a disguised file.
    if suffix in {".csv", ".txt"} and not head.startswith(BINARY_SIGNATURES):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if b"\x00" not in data:
                return "text/csv" if suffix == ".csv" else "text/plain"
    raise UnsupportedType(
        f"file: '{name}' is not an accepted type (PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text, "
        "with a name that matches its content)"
    )


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size_bytes: int
    content_type: str


class LocalStorage:
    """Files on disk under one directory, named by random id (never by the uploader's file name)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, source: BinaryIO, name: str, max_bytes: int) -> StoredFile:
        """Stream to a temporary file, check what it is, then move it under a random name. Whatever fails
        (too large, wrong type, a full or broken disk) leaves nothing behind; a disk failure answers 503."""
        digest, size = hashlib.sha256(), 0
        temp_path: Path | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, delete=False, suffix=".part") as temp:
                temp_path = Path(temp.name)
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"file: larger than the {_megabytes(max_bytes)} limit")
                    digest.update(chunk)
                    temp.write(chunk)
            content_type = sniff(temp_path, name)
            stored_name = uuid.uuid4().hex
            shutil.move(temp_path, self.directory / stored_name)
        except BaseException as error:
            if temp_path is not None:
                temp_path.unlink(missing_ok=True)
            if isinstance(error, OSError):
                reason = error.strerror or type(error).__name__
                raise StorageFailed(f"file: could not be stored ({reason}); nothing was kept, try again") from error
            raise
        return StoredFile(stored_name, digest.hexdigest(), size, content_type)

    def path_of(self, stored_name: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
            raise ValueError("not a stored file name")
        return self.directory / stored_name

    def delete(self, stored_name: str) -> None:
        self.path_of(stored_name).unlink(missing_ok=True)
