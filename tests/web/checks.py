"""What every browser test checks of a page it reaches: it fits the window without scrolling sideways, and axe-core
finds no WCAG 2.1 A or AA violation on it.

axe-core is vendored under tests/web/vendor (MPL-2.0, from npm); nothing is fetched at run time."""

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(result: dict[str, Any]) -> list[str]:
    """axe-core's result as one line a violation: rule, impact, help and the first elements it names."""
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def axe_violations(page: Page) -> list[str]:
    """Run axe-core's WCAG 2.1 A and AA rules on the page as it is now."""
    page.evaluate(AXE_SOURCE)
    result: dict[str, Any] = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                                           WCAG_AA)
    return violations(result)


def overflow(page: Page) -> int:
    """How many pixels the document is wider than the window (0 when it fits)."""
    return int(page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"))


WIDE_ELEMENTS = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def assert_fits(page: Page, where: str) -> None:
    """The page scrolls no sideways at the window's width; when it does, the message names the widest culprits."""
    if extra := overflow(page):
        raise AssertionError(f"{where} is {extra} px wider than its {page.viewport_size} window: "
                             f"{page.evaluate(WIDE_ELEMENTS)}")


def assert_accessible(page: Page, where: str) -> None:
    assert axe_violations(page) == [], where
