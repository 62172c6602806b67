"""Formula-cell neutralisation for every CSV the portal writes (OWASP "CSV Injection").

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and
also one starting with a tab, carriage return or line feed before such a character; so a
user named ``-2+3`` or ``=HYPERLINK(...)`` would run in the auditor's spreadsheet. OWASP's
rule: such a cell gets a leading single quote, which spreadsheets read as "this is text".
ASVS adds the NUL character to the list.

The quote is reversible, so an exported audit CSV still verifies: :func:`restore_cell`
removes exactly the quote :func:`neutralise_cell` added. A value that already starts with
quotes before a trigger character (``'=x``) gets one more, so the round trip is exact for
every string.
"""

FORMULA_TRIGGERS = "=+-@\t\r\n\0"


def _trigger_after_quotes(text: str) -> bool:
    """Whether ``text``, past any leading quotes, starts with a formula trigger."""
    rest = text.lstrip("'")
    return rest[:1] != "" and rest[0] in FORMULA_TRIGGERS


def neutralise_cell(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (a leading ``'`` where it would start a formula)."""
    return "'" + value if _trigger_after_quotes(value) else value


def restore_cell(cell: str) -> str:
    """The value :func:`neutralise_cell` was given, from the cell it wrote."""
    return cell[1:] if cell.startswith("'") and _trigger_after_quotes(cell) else cell


def neutralise_row(values: list[str]) -> list[str]:
    return [neutralise_cell(value) for value in values]


def restore_row(row: dict[str, str]) -> dict[str, str]:
    return {column: restore_cell(cell) if isinstance(cell, str) else cell for column, cell in row.items()}
