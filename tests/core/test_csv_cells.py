"""Formula-cell neutralisation (OWASP CSV injection): one function for every CSV the portal writes."""

import pytest
from hypothesis import given, strategies as st

from core.csv_cells import FORMULA_TRIGGERS, neutralise_cell, restore_cell


@pytest.mark.parametrize("value", ["-2+3", "=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "\tx", "\r=1", "\n=1",
                                   "\0x", "=cmd|' /C calc'!A0"])
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "rita", "a=b", "S3-0001", "{\"n\": 1}", "'quoted", "2026-12-02T10:00:00Z"])
def test_other_cells_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_a_value_already_quoted_before_a_trigger_gets_one_more_quote_so_the_round_trip_is_exact():
    assert neutralise_cell("'=x") == "''=x" and restore_cell("''=x") == "'=x"


@given(st.text(alphabet=st.sampled_from(list(FORMULA_TRIGGERS) + ["'", "a", "1", " "]), max_size=8) | st.text())
def test_restore_gives_back_exactly_what_was_neutralised(value):
    cell = neutralise_cell(value)
    assert restore_cell(cell) == value
    assert not cell or cell[0] not in FORMULA_TRIGGERS
