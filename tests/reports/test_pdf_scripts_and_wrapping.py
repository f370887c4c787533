"""Every script renders and every cell wraps: Chinese, Japanese, Korean and emoji in names and notes come back out
of the PDF drawn with real glyphs (no .notdef boxes), and 200-character unbroken strings in every field break
inside their own cells, so no glyph lands outside the page's margins and no column (hashes, dates) is lost.

Positions come from poppler's `pdftotext -bbox`, which also silently drops characters lying wholly off the page;
pypdf reads every character the content streams draw. The two agreeing character for character, and every
poppler word lying inside the margins, is what "nothing pushed off the page" means here."""

import io
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlmodel import Session

from app.programs.service import get_program
from app.reports.gather import data_hash, gather
from app.reports.render import html_to_pdf, render_pdf
from app.reports.schemas import ReportData, ReportKind
from app.web.templating import when
from tests.conftest import Team
from tests.signoffs.test_signoff_rules import attach, mark_done, sign

MM = 72 / 25.4
MARGIN_X, MARGIN_Y = 16 * MM, 20 * MM  # report.css: @page { margin: 20mm 16mm }
SLACK = 2.0  # points: a glyph box (font ascent and descent) may stand a little outside its line box

SCRIPTS = ("中文", "日本語", "한국어", "🧬")


def unbroken(tag: str, length: int = 200) -> str:
    """A string with no break opportunity, of the widest Latin capitals: the worst case for a table column."""
    return (tag + "WM" * length)[:length]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pypdf_text(pdf: bytes) -> str:
    """Text in drawing order: WeasyPrint draws a cell's lines together, so a wrapped string reads back whole."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def poppler_words(pdf: bytes) -> tuple[list[tuple[float, float]], list[Word]]:
    """Each page's size and every word poppler sees on it, with its box (points, origin top left)."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is missing: run scripts/ensure-system-packages"
    out = subprocess.run(  # noqa: S603  (a fixed command; the PDF goes in on stdin)
        [pdftotext, "-enc", "UTF-8", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode(errors="replace")  # poppler writes an emoji in the <title> as two halves of a surrogate pair
    sizes, words = [], []
    for number, (width, height, body) in enumerate(_PAGE.findall(out), start=1):
        sizes.append((float(width), float(height)))
        words += [Word(number, unescape(text), float(x0), float(y0), float(x1), float(y1))
                  for x0, y0, x1, y1, text in _WORD.findall(body)]
    return sizes, words


def words_off_the_page(pdf: bytes) -> list[Word]:
    """Words not inside the page box minus its margins. Running headers and footers sit in the top and bottom
    margins: there a word must stay within its band and within the left and right margins like any other."""
    sizes, words = poppler_words(pdf)
    outside = []
    for word in words:
        width, height = sizes[word.page - 1]
        across = word.x0 >= MARGIN_X - SLACK and word.x1 <= width - MARGIN_X + SLACK
        in_header = word.y0 >= 0 and word.y1 <= MARGIN_Y + SLACK
        in_body = word.y0 >= MARGIN_Y - SLACK and word.y1 <= height - MARGIN_Y + SLACK
        in_footer = word.y0 >= height - MARGIN_Y - SLACK and word.y1 <= height
        if not (across and (in_header or in_body or in_footer)):
            outside.append(word)
    return outside


def assert_every_glyph_on_the_page(pdf: bytes) -> None:
    outside = words_off_the_page(pdf)
    assert outside == [], f"{len(outside)} words outside the margins, e.g. {outside[:3]}"
    drawn = Counter(ch for ch in pypdf_text(pdf) if not ch.isspace())
    seen = Counter(ch for word in poppler_words(pdf)[1] for ch in word.text if not ch.isspace())
    assert drawn == seen, f"drawn but off the page: {(drawn - seen).most_common(5)}"


def _font_program(font: DictionaryObject) -> TTFont | None:
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        if key in descriptor:
            return TTFont(io.BytesIO(descriptor[key].get_object().get_data()))
    return None  # not embedded: a viewer would substitute, which counts as missing


def _to_unicode(font: DictionaryObject) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    pairs: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for glyph, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            pairs[int(glyph, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return pairs


def glyphless_text(pdf: bytes) -> list[str]:
    """The text of every glyph the PDF draws that its embedded font does not have: what shows as an empty box.

    WeasyPrint maps a character no font covers to a glyph id past the end of the font it falls back on (and
    still writes the character into ToUnicode, so text extraction alone would not notice); a viewer then draws
    .notdef. So: every glyph id a font's ToUnicode names must be a real glyph (not 0, below numGlyphs) of the
    font program embedded with it."""
    missing: list[str] = []
    seen: set[int] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = [page["/Resources"].get_object()]
        for xobject in resources[0].get("/XObject", {}).values():  # text drawn inside forms
            if "/Resources" in xobject.get_object():
                resources.append(xobject.get_object()["/Resources"].get_object())
        for resource in resources:
            for ref in resource.get("/Font", {}).values():
                font = ref.get_object()
                if id(font) in seen or font.get("/Subtype") != "/Type0":
                    continue
                seen.add(id(font))
                program = _font_program(font)
                count = program["maxp"].numGlyphs if program is not None else 0
                missing += [text for glyph, text in _to_unicode(font).items() if glyph == 0 or glyph >= count]
    return missing


def test_the_glyph_check_sees_a_character_no_font_draws() -> None:
    """The check below would catch empty boxes: U+0378 is unassigned, so no font anywhere has a glyph for it."""
    pdf = html_to_pdf('<link rel="stylesheet" href="report.css"><p>中文 日本語 한국어 🧬 \u0378</p>')
    assert glyphless_text(pdf) == ["\u0378"]


# ---- Chinese, Japanese, Korean and emoji -----------------------------------------------------------------------

INSTITUTION = "上海仁济医院 · 東京大学病院 · 서울대학교병원 🧬"
PROGRAM_TITLE = "基因治疗项目 遺伝子治療プログラム 유전자 치료 🧬"
OWNER = "王小明 · 山田花子 · 김민준 🧬"
SIGNER = "李华 · 佐藤健 · 이서연 🧬"
NOTES = "备注：冷库已验证。メモ：日本語の注記。메모: 한국어 메모. 🧬🧪"
STATEMENT = "签字声明：已核对。署名：日本語で確認。서명: 한국어로 확인. 🧬"
PREPARED_FOR = "药事委员会 · 薬事委員会 · 약사위원회 🧬"


@pytest.fixture
def cjk_team(session: Session, team: Team) -> Team:
    """The team's institution, program title, an owner and a signer named in Chinese, Japanese and Korean."""
    team.institution.name = INSTITUTION
    team.program.title = PROGRAM_TITLE
    team.people["champion"].full_name = OWNER
    team.people["finance_lead"].full_name = SIGNER
    session.add_all([team.institution, team.program, team.people["champion"], team.people["finance_lead"]])
    session.commit()
    champion = team.clients["champion"]
    for key in ("PAY-001", "POL-002"):
        item = champion.get(team.url(f"/items/{key}")).json()
        body = {"owner_id": str(team.people["champion"].id), "notes": NOTES, "version": item["version"]}
        assert champion.patch(team.url(f"/items/{key}"), json=body).status_code == 200
    version = mark_done(team, "PAY-001")
    assert sign(team.clients["finance_lead"], team, "PAY-001", version, statement=STATEMENT).status_code == 201
    return team


def _report(team: Team, kind: str, prepared_for: str) -> bytes:
    made = team.clients["champion"].post(team.url("/reports"), json={"kind": kind, "prepared_for": prepared_for})
    assert made.status_code == 201, made.text
    download = team.clients["viewer"].get(f"/api/reports/{made.json()['number']}/pdf")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    return download.content


@pytest.mark.parametrize("kind", ["full", "executive"])
def test_chinese_japanese_korean_and_emoji_come_back_out_of_the_pdf_drawn_with_real_glyphs(
    cjk_team: Team, kind: str
) -> None:
    pdf = _report(cjk_team, kind, PREPARED_FOR)
    text = flat(pypdf_text(pdf))
    shown = [INSTITUTION, PROGRAM_TITLE, PREPARED_FOR]
    if kind == "full":  # the executive summary has no item tables or register
        shown += [OWNER, SIGNER, NOTES, STATEMENT]
    for string in shown:
        assert flat(string) in text, string
    assert glyphless_text(pdf) == []
    assert_every_glyph_on_the_page(pdf)


# ---- Long unbroken strings -------------------------------------------------------------------------------------


@pytest.fixture
def long_text_team(session: Session, team: Team) -> dict[str, Any]:
    """Every field a person can fill, filled to its limit with one unbroken string; returns what the report must
    show, and the evidence file's hash and the dates the tables print."""
    strings = {
        "institution": unbroken("INSTITUTION"), "title": unbroken("PROGRAMTITLE"), "owner": unbroken("OWNER"),
        "signer": unbroken("SIGNER"), "revoker": unbroken("REVOKER"), "notes": unbroken("NOTES", 10_000),
        "statement": unbroken("STATEMENT", 2000), "reason": unbroken("REASON", 2000),
        "file": unbroken("FILE", 196) + ".pdf", "prepared_for": unbroken("PREPAREDFOR"),
        "reimbursement": unbroken("REIMBURSEMENTSCENARIO"), "capacity": unbroken("CAPACITYSCENARIO"),
    }
    team.institution.name = strings["institution"]
    team.program.title = strings["title"]
    team.people["champion"].full_name = strings["owner"]
    team.people["finance_lead"].full_name = strings["signer"]
    team.people["policy_lead"].full_name = strings["revoker"]
    session.add_all([team.institution, team.program, *team.people.values()])
    session.commit()
    champion = team.clients["champion"]
    for key in ("PHARM-001", "PAY-001", "POL-002"):
        item = champion.get(team.url(f"/items/{key}")).json()
        body = {"owner_id": str(team.people["champion"].id), "notes": strings["notes"], "version": item["version"],
                "due_date": "2027-01-15"}
        assert champion.patch(team.url(f"/items/{key}"), json=body).status_code == 200
    evidence = attach(team, "PHARM-001", "equipment_qualification", name=strings["file"], expires_on="2027-03-31")
    signed = sign(team.clients["finance_lead"], team, "PAY-001", mark_done(team, "PAY-001"),
                  statement=strings["statement"])
    revoked = sign(team.clients["policy_lead"], team, "POL-002", mark_done(team, "POL-002"),
                   statement=strings["statement"])
    assert signed.status_code == revoked.status_code == 201
    revocation = team.clients["policy_lead"].post(f"/api/signoffs/{revoked.json()['id']}/revocation",
                                                  json={"reason": strings["reason"]})
    assert revocation.status_code == 200, revocation.text
    defaults = team.clients["viewer"].get(team.url("/scenarios/defaults")).json()
    for kind in ("reimbursement", "capacity"):
        made = champion.post(team.url(f"/scenarios/{kind}"), json={"name": strings[kind], "inputs": defaults[kind]})
        assert made.status_code == 201, made.text
    dates = [when(datetime.fromisoformat(evidence["uploaded_at"])), when(datetime.fromisoformat(
        signed.json()["signed_at"])), "31 Mar 2027", "15 Jan 2027"]
    return {"strings": strings, "sha256": evidence["sha256"], "dates": dates}


def test_long_unbroken_strings_in_every_field_wrap_inside_the_page(long_text_team: dict[str, Any],
                                                                   team: Team) -> None:
    strings = long_text_team["strings"]
    pdf = _report(team, "full", strings["prepared_for"])
    assert_every_glyph_on_the_page(pdf)
    text = flat(pypdf_text(pdf))
    for name, string in strings.items():
        # Notes print their first 240 characters; a 2000-character statement runs over a page break, where the
        # next page's header comes between its parts: its first lines must read whole, the rest be on the page.
        shown = string[:200]
        assert flat(shown) in text, name
    assert long_text_team["sha256"] in text  # the hash column is still there, whole
    words = {word.text for word in poppler_words(pdf)[1]}
    for date in long_text_team["dates"]:  # and the dates, each on the page
        assert set(date.split()) <= words, date


def test_the_executive_summary_keeps_long_names_inside_the_page(long_text_team: dict[str, Any], team: Team) -> None:
    strings = long_text_team["strings"]
    pdf = _report(team, "executive", strings["prepared_for"])
    assert_every_glyph_on_the_page(pdf)
    text = flat(pypdf_text(pdf))
    for name in ("institution", "title", "prepared_for"):
        assert strings[name] in text, name


def _everything_long(data: ReportData) -> ReportData:
    """The snapshot with every free-text field (including those from the checklist library: item titles, product
    names) replaced by an unbroken 200-character string; codes the templates branch on are left as they are."""
    data = data.model_copy(deep=True)
    data.institution, data.program_title = unbroken("INSTITUTION"), unbroken("TITLE")
    data.prepared_for, data.prepared_by = unbroken("FOR"), unbroken("BY")
    data.products, data.library = [unbroken("PRODUCTA"), unbroken("PRODUCTB")], unbroken("LIBRARY")
    for area in data.areas:
        for item in area.items:
            item.title, item.notes, item.owner_name = unbroken("ITEM"), unbroken("NOTES"), unbroken("OWNER")
            if item.signature:
                item.signature.signer_name = unbroken("SIGNER")
    for blocker in data.blocking:
        blocker.title, blocker.reason = unbroken("BLOCKER"), unbroken("WHY")
    for risk in data.top_risks:
        risk.text = unbroken("RISK")
    data.changes.newly_signed = [unbroken("NEWLYSIGNED")]
    for entry in data.signoff_register:
        entry.signer_name, entry.statement, entry.revoked = unbroken("SIGNER"), unbroken("STATEMENT"), unbroken("R")
    for evidence in data.evidence:
        evidence.file, evidence.uploaded_by, evidence.kind = unbroken("FILE"), unbroken("UPLOADER"), unbroken("KIND")
    for section in (data.reimbursement, data.capacity):
        if section is not None:
            section.scenario = unbroken("SCENARIO")
            for assumption in section.assumptions:
                assumption.label, assumption.value = unbroken("LABEL"), unbroken("VALUE")
    if data.reimbursement is not None:
        for assumption in data.reimbursement.top_sensitivity:
            assumption.label, assumption.value = unbroken("LABEL"), unbroken("VALUE")
    return data


@pytest.mark.parametrize("kind", [ReportKind.FULL, ReportKind.EXECUTIVE])
def test_every_text_field_wraps_even_text_from_the_checklist_library(
    app: FastAPI, session: Session, long_text_team: dict[str, Any], team: Team, kind: ReportKind
) -> None:
    program = get_program(session, team.program.id)
    data = _everything_long(gather(session, app.state.catalog, program, number="GTR-2026-000001", kind=kind,
                                   prepared_for="x", prepared_by="y", now=program.created_at))
    pdf = render_pdf(data, data_hash(data))
    assert_every_glyph_on_the_page(pdf)
    text = flat(pypdf_text(pdf))
    assert unbroken("TITLE") in text and unbroken("INSTITUTION") in text
    if kind == ReportKind.FULL:
        assert unbroken("PRODUCTB") in text and unbroken("ITEM") in text and long_text_team["sha256"] in text

