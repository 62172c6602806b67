"""Accessibility basics of a page, checked by axe-core inside the browser.

axe-core is pinned in ``tests/browser/package.json`` (install: ``npm ci --prefix tests/browser``)
and injected into the page under test. A finding fails the test when axe rates it serious or
critical, or when it comes from a rule about labels, headings or contrast, whatever its rating.
"""

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

FAILING_IMPACTS = {"serious", "critical"}
LABEL_HEADING_CONTRAST_RULES = {
    "label",
    "label-title-only",
    "form-field-multiple-labels",
    "select-name",
    "input-button-name",
    "button-name",
    "link-name",
    "aria-input-field-name",
    "page-has-heading-one",
    "heading-order",
    "empty-heading",
    "empty-table-header",
    "color-contrast",
}


def accessibility_failures(page) -> list[dict]:
    """axe's violations on the page as it is now that fail our bar (see the module docstring)."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        violation
        for violation in result["violations"]
        if violation["impact"] in FAILING_IMPACTS or violation["id"] in LABEL_HEADING_CONTRAST_RULES
    ]


def describe(failures: list[dict]) -> str:
    """One line per rule with the elements it found, for an assertion message."""
    lines = []
    for failure in failures:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in failure["nodes"][:5])
        lines.append(f"{failure['id']} ({failure['impact']}): {failure['help']} at {targets}")
    return "\n".join(lines)
