"""Fixtures of the core tests."""

import pytest

from core import audit


@pytest.fixture
def trail(db):
    """Entries in two environments by a user named like a formula, and one without an environment."""
    audit.record("test.step", actor="-2+3", detail={"note": '=HYPERLINK("http://evil")'}, environment="dev")
    audit.record("test.step", actor="=cmd|' /C calc'!A0", environment="prod")
    audit.record("token.issued", actor="@admin", detail={"token": "bw_abc"})
    audit.record("test.step", actor="rita", environment="dev")
