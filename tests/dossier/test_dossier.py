"""Manufacturer site dossiers: one product's overlay items with status, signature and evidence, in a zip that
verifies against its manifest and the stored record; what changed since the dossier last sent."""

import hashlib
import io
import json
import zipfile

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.dossier.service import site_requirement_keys
from app.programs.models import Program
from tests.conftest import Team
from tests.dossier.conftest import attach, download, generate, pdf_bytes, repack, sign
from tests.factories import make_program

# Hemgenix's overlay items that apply to a US hub (POL-104 is for EU/UK programs only).
HEMGENIX_US_HUB = ["PHARM-101", "PHARM-102", "PHARM-103", "PHARM-104", "POL-101", "POL-102", "POL-103", "EDU-101",
                   "FU-101", "FU-102", "FU-103", "PAY-101"]


def verify(client: TestClient, data: bytes) -> dict[str, object]:
    response = client.post("/api/dossiers/verify", files={"file": ("dossier.zip", data, "application/zip")})
    assert response.status_code == 200, response.text
    return dict(response.json())


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_requirements_are_the_products_overlay_items_from_the_library(app: FastAPI, site: Team) -> None:
    assert site_requirement_keys(app.state.catalog, site.program, "hemgenix")[:4] == [
        "PHARM-101", "PHARM-102", "PHARM-103", "PHARM-104"]
    assert "POL-104" in site_requirement_keys(app.state.catalog, site.program, "hemgenix")  # defined, not applicable
    assert all(k.split("-")[1].startswith("3")
               for k in site_requirement_keys(app.state.catalog, site.program, "roctavian"))


def test_the_zip_holds_the_products_items_status_signature_and_only_their_evidence(
    app: FastAPI, session: Session, site: Team
) -> None:
    attach(site, "PHARM-101", "equipment_qualification", "fridge IQ-OQ-PQ.pdf", pdf_bytes("fridge"))
    attach(site, "PHARM-101", "temperature_log", "../../etc/log.csv", b"time,celsius\n08:00,4.1\n")
    attach(site, "PHARM-104", "checklist_record", "checklist.pdf", pdf_bytes("checklist"))
    attach(site, "PHARM-301", "equipment_qualification", "roctavian-freezer.pdf", pdf_bytes("roctavian"))
    attach(site, "PHARM-001", "other", "core-item.pdf", pdf_bytes("core"))
    sign(site, "PHARM-104", "pharmacy_lead")
    # Another program of the same institution, same product, with its own evidence on the same item.
    other = make_program(session, app.state.catalog, site.institution, products=("hemgenix",),
                         library_id="hemophilia-gt", library_version="1.1.0")
    other_team = Team(site.institution, other, site.people, site.clients)
    attach(other_team, "PHARM-101", "equipment_qualification", "other-program.pdf", pdf_bytes("other program"))

    made = generate(site)
    assert made["number"].startswith("GTD-") and made["product_name"].startswith("Hemgenix")
    assert (made["items"], made["evidence_files"], made["sent_at"]) == (len(HEMGENIX_US_HUB), 3, None)
    data = download(site, made["number"])
    assert hashlib.sha256(data).hexdigest() == made["zip_sha256"]
    assert download(site, made["number"]) == data  # rebuilt byte for byte every time

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [
        "evidence/PHARM-101/fridge IQ-OQ-PQ.pdf", "evidence/PHARM-101/log.csv", "evidence/PHARM-104/checklist.pdf",
        "index.pdf", "manifest.json"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["number"] == made["number"] and manifest["product"]["id"] == "hemgenix"
    assert manifest["program"]["title"] == site.program.title and manifest["audit_head"]["seq"] > 0
    assert [i["key"] for i in manifest["items"]] == HEMGENIX_US_HUB
    items = {i["key"]: i for i in manifest["items"]}
    assert items["PHARM-104"]["status"] == "signed_off"
    assert items["PHARM-104"]["signature"]["signer"] == "Pharmacy lead"
    assert items["PHARM-101"]["status"] == "not_started" and items["PHARM-101"]["signature"] is None
    log = items["PHARM-101"]["evidence"][1]
    assert log["path"] == "evidence/PHARM-101/log.csv" and log["size"] == len(b"time,celsius\n08:00,4.1\n")
    assert log["sha256"] == hashlib.sha256(archive.read(log["path"])).hexdigest()
    assert manifest["index_pdf"]["sha256"] == hashlib.sha256(archive.read("index.pdf")).hexdigest()


def test_index_pdf_lists_each_item_with_status_signer_and_short_hashes(site: Team) -> None:
    evidence = attach(site, "PHARM-104", "checklist_record", "checklist.pdf", pdf_bytes("checklist"))
    sign(site, "PHARM-104", "pharmacy_lead")
    made = generate(site)
    archive = zipfile.ZipFile(io.BytesIO(download(site, made["number"])))
    text = pdf_text(archive.read("index.pdf"))
    assert made["number"] in text and "Hemgenix (etranacogene dezaparvovec)" in text
    assert site.program.title in text and "Riverside University Hospital" in text
    assert "PHARM-104" in text and "Pharmacy lead" in text and "Signed off" in text
    assert f"checklist.pdf {evidence['sha256'][:12]}" in text
    assert "PAY-101" in text and "Changes since the dossier last sent" in text
    assert "No dossier for this product has been marked as sent" in text


def test_the_zip_verifies_and_a_tampered_file_fails_naming_it(site: Team) -> None:
    attach(site, "PHARM-101", "equipment_qualification", "fridge.pdf", pdf_bytes("fridge"))
    made = generate(site)
    data = download(site, made["number"])
    result = verify(site.clients["viewer"], data)
    assert result["matches"] is True and result["zip_sha256_matches"] is True, result
    assert (result["number"], result["files_checked"], result["problems"]) == (made["number"], 2, [])

    repacked = verify(site.clients["viewer"], repack(data))  # the same files in another zip still verify
    assert repacked["matches"] is True and repacked["zip_sha256_matches"] is False

    tampered = verify(site.clients["viewer"], repack(data, {"evidence/PHARM-101/fridge.pdf": pdf_bytes("forged")}))
    assert tampered["matches"] is False
    assert tampered["problems"] == [
        "evidence/PHARM-101/fridge.pdf: does not match the manifest (size or SHA-256 differs)"]

    missing = verify(site.clients["viewer"], repack(data, drop=("evidence/PHARM-101/fridge.pdf",)))
    assert missing["problems"] == ["evidence/PHARM-101/fridge.pdf: listed in the manifest but missing from the zip"]

    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    manifest["items"][0]["status"] = "signed_off"  # a consistent zip whose manifest claims more than was recorded
    forged = verify(site.clients["viewer"], repack(data, {"manifest.json": json.dumps(manifest).encode()}))
    assert forged["matches"] is False
    assert forged["problems"] == [f"manifest.json: differs from the stored record of {made['number']}"]


def test_changes_since_the_dossier_last_sent(site: Team) -> None:
    first = attach(site, "PHARM-101", "equipment_qualification", "fridge.pdf", pdf_bytes("fridge v1"))
    attach(site, "PHARM-103", "sop", "old-worksheet.pdf", pdf_bytes("worksheet"))
    attach(site, "PHARM-104", "checklist_record", "checklist.pdf", pdf_bytes("checklist"))
    sent = generate(site)
    assert sent["changes"] == {"since": None, "since_sent_at": None, "items": []}
    marked = site.clients["champion"].post(f"/api/dossiers/{sent['number']}/sent")
    assert marked.status_code == 200 and marked.json()["sent_by_name"] == "Program champion"
    again = site.clients["champion"].post(f"/api/dossiers/{sent['number']}/sent")
    assert again.status_code == 409 and "already marked as sent" in again.json()["detail"]

    # Replace the fridge qualification, withdraw the worksheet, add an SOP, sign the checklist item.
    assert site.clients["champion"].delete(f"/api/evidence/{first['id']}").status_code == 204
    attach(site, "PHARM-101", "equipment_qualification", "fridge.pdf", pdf_bytes("fridge v2"))
    worksheet = site.clients["viewer"].get(site.url("/evidence?item=PHARM-103")).json()[0]
    assert site.clients["champion"].delete(f"/api/evidence/{worksheet['id']}").status_code == 204
    attach(site, "PHARM-102", "sop", "dilution-sop.pdf", pdf_bytes("sop"))
    sign(site, "PHARM-104", "pharmacy_lead")

    latest = generate(site)
    changes = latest["changes"]
    assert changes["since"] == sent["number"] and changes["since_sent_at"] is not None
    by_key = {c["key"]: c for c in changes["items"]}
    assert sorted(by_key) == ["PHARM-101", "PHARM-102", "PHARM-103", "PHARM-104"]
    assert by_key["PHARM-101"]["evidence_replaced"] == ["fridge.pdf"]
    assert by_key["PHARM-102"]["evidence_added"] == ["dilution-sop.pdf"]
    assert by_key["PHARM-103"]["evidence_removed"] == ["old-worksheet.pdf"]
    assert (by_key["PHARM-104"]["status_before"], by_key["PHARM-104"]["status_after"]) == ("not_started", "signed_off")
    assert by_key["PHARM-104"]["signature_before"] == "not signed"
    assert by_key["PHARM-104"]["signature_after"].startswith("Pharmacy lead (pharmacy_lead), ")

    listed = site.clients["viewer"].get(site.url("/dossiers")).json()
    assert [d["number"] for d in listed] == [latest["number"], sent["number"]]
    assert listed[0]["changes"] == changes and listed[1]["sent_at"] is not None

    archive = zipfile.ZipFile(io.BytesIO(download(site, latest["number"])))
    text = pdf_text(archive.read("index.pdf"))
    assert f"Since {sent['number']}" in text
    assert "evidence replaced: fridge.pdf" in text and "evidence removed: old-worksheet.pdf" in text
    assert "status Not started → Signed off" in text

    # The withdrawn file stays on disk: the dossier that was sent still downloads and verifies.
    assert verify(site.clients["viewer"], download(site, sent["number"]))["matches"] is True


def test_product_must_be_one_of_the_library_and_of_the_program(site: Team, session: Session) -> None:
    unknown = site.clients["champion"].post(site.url("/dossiers"), json={"product": "zolgensma"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "product"]
    assert "not a product of this library" in unknown.json()["detail"][0]["msg"]
    site.program.products = ["hemgenix"]
    session.add(site.program)
    session.commit()
    absent = site.clients["champion"].post(site.url("/dossiers"), json={"product": "roctavian"})
    assert absent.status_code == 422 and absent.json()["detail"][0]["loc"] == ["body", "product"]
    assert "does not offer 'roctavian'" in absent.json()["detail"][0]["msg"]
    for bad in ({"product": "Hem\u0000genix"}, {"product": ""}, {}):
        response = site.clients["champion"].post(site.url("/dossiers"), json=bad)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "product"]


def test_other_institutions_see_no_dossier_and_viewers_cannot_make_one(site: Team, outsider: TestClient) -> None:
    made = generate(site)
    assert outsider.post(site.url("/dossiers"), json={"product": "hemgenix"}).status_code == 404
    assert outsider.get(site.url("/dossiers")).status_code == 404
    assert outsider.get(f"/api/dossiers/{made['number']}").status_code == 404
    assert outsider.post(f"/api/dossiers/{made['number']}/sent").status_code == 404
    refused = site.clients["viewer"].post(site.url("/dossiers"), json={"product": "hemgenix"})
    assert refused.status_code == 403
    assert site.clients["viewer"].post(f"/api/dossiers/{made['number']}/sent").status_code == 403
    # Whoever holds the zip may check it; a forged manifest for another institution's number learns nothing.
    data = download(site, made["number"])
    assert verify(outsider, data)["matches"] is True
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    manifest["program"]["title"] = "Guess"
    forged = verify(outsider, repack(data, {"manifest.json": json.dumps(manifest).encode()}))
    assert forged["matches"] is False and forged["program"] is None
    assert forged["problems"] == [f"manifest.json: no stored dossier matches '{made['number']}'"]


def test_generating_downloading_and_sending_are_audited(site: Team, session: Session) -> None:
    made = generate(site)
    download(site, made["number"])
    site.clients["champion"].post(f"/api/dossiers/{made['number']}/sent")
    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor_name).where(col(AuditEvent.entity_key) == made["number"])
        .order_by(col(AuditEvent.seq))
    ).all()
    assert [tuple(e) for e in events] == [
        ("dossier.generated", "Program champion"), ("dossier.downloaded", "Viewer"),
        ("dossier.sent", "Program champion")]


def test_verify_refuses_what_is_not_a_dossier_zip_naming_the_file(site: Team) -> None:
    client = site.clients["viewer"]
    not_zip = client.post("/api/dossiers/verify", files={"file": ("d.zip", b"PK\x03\x04 not really")})
    assert not_zip.status_code == 422 and not_zip.json()["detail"][0]["loc"] == ["body", "file"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("evidence/X-001/zeros.bin", b"\0" * (60 << 20))  # 60 MB deflating to about 60 KB
    refused = client.post("/api/dossiers/verify", files={"file": ("bomb.zip", bomb.getvalue())})
    assert refused.status_code == 422
    assert "unpack to" in refused.json()["detail"][0]["msg"]
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    result = verify(client, empty.getvalue())
    assert result["matches"] is False and result["problems"] == ["manifest.json: missing from the zip"]
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("manifest.json", b"[[[[")
    assert verify(client, junk.getvalue())["problems"] == ["manifest.json: not a dossier manifest"]
    assert client.post("/api/dossiers/verify").status_code == 422


def test_a_program_that_does_not_exist_is_404(site: Team, session: Session) -> None:
    gone = Program(institution_id=site.institution.id, title="x", products=[], care_role="hub", library_id="x",
                   library_version="1", areas=[])
    response = site.clients["champion"].post(f"/api/programs/{gone.id}/dossiers", json={"product": "hemgenix"})
    assert response.status_code == 404
    assert site.clients["viewer"].get("/api/dossiers/GTD-2026-999999").status_code == 404
    assert site.clients["viewer"].get("/api/dossiers/not-a-number").status_code == 422


@pytest.mark.parametrize("product", ["roctavian"])
def test_each_product_has_its_own_dossier(site: Team, product: str) -> None:
    attach(site, "PHARM-101", "equipment_qualification", "hemgenix-fridge.pdf", pdf_bytes("h"))
    made = generate(site, product)
    names = zipfile.ZipFile(io.BytesIO(download(site, made["number"]))).namelist()
    assert not any("PHARM-101" in n for n in names)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(download(site, made["number"]))).read("manifest.json"))
    assert manifest["items"] and all(i["key"].split("-")[1].startswith("3") for i in manifest["items"])


def test_hostile_names_and_numbers_stay_text(site: Team) -> None:
    """A file name that looks like markup or a template shows literally in the index; a manifest number carrying
    NUL or pages of text is answered, not queried (PostgreSQL refuses NUL in text)."""
    attach(site, "PHARM-101", "equipment_qualification", "<b>{{7*7}}<i>.pdf", pdf_bytes("x"))
    made = generate(site)
    data = download(site, made["number"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert "evidence/PHARM-101/<b>{{7*7}}<i>.pdf" in archive.namelist()
    text = pdf_text(archive.read("index.pdf"))
    assert "<b>{{7*7}}<i>.pdf" in text and "49" not in text.split("PHARM-101")[-1].split("PHARM-102")[0]
    manifest = json.loads(archive.read("manifest.json"))
    for number in ("GTD-2026-\u0000", "x" * 10_000):
        manifest["number"] = number
        result = verify(site.clients["viewer"], repack(data, {"manifest.json": json.dumps(manifest).encode()}))
        assert result["matches"] is False and result["problems"][0].startswith("manifest.json: no stored dossier")
