"""Formula-cell neutralisation (OWASP CSV injection): one function for every CSV the portal writes."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st

from core.csv_cells import FORMULA_TRIGGERS, neutralise_cell, restore_cell


@pytest.mark.parametrize(
    "value",
    ["-2+3", '=HYPERLINK("http://x")', "+1", "@SUM(A1)", "\tx", "\r=1", "\n=1", "\0x", "=cmd|' /C calc'!A0"],
)
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["", "rita", "a=b", "S3-0001", '{"n": 1}', "'quoted", "2026-12-02T10:00:00Z"]
)
def test_other_cells_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_a_value_already_quoted_before_a_trigger_gets_one_more_quote_so_the_round_trip_is_exact():
    assert neutralise_cell("'=x") == "''=x" and restore_cell("''=x") == "'=x"


@given(
    st.text(alphabet=st.sampled_from(list(FORMULA_TRIGGERS) + ["'", "a", "1", " "]), max_size=8) | st.text()
)
def test_restore_gives_back_exactly_what_was_neutralised(value):
    cell = neutralise_cell(value)
    assert restore_cell(cell) == value
    assert not cell or cell[0] not in FORMULA_TRIGGERS


def test_every_module_that_writes_csv_neutralises_its_cells():
    """A CSV writer added later without core.csv_cells fails here (the catalog export is YAML)."""
    root = Path(__file__).resolve().parents[2]
    packages = sorted(
        app.path
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(root) and "site-packages" not in app.path
    )
    writers, unsafe = [], []
    for package in packages:
        for path in Path(package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            if not any(
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
                and node.attr in {"writer", "DictWriter"}
                for node in ast.walk(tree)
            ):
                continue
            writers.append(path.relative_to(root).as_posix())
            if not any(
                isinstance(node, ast.ImportFrom) and node.module == "core.csv_cells"
                for node in ast.walk(tree)
            ):
                unsafe.append(writers[-1])
    assert "core/audit_csv.py" in writers and unsafe == []
