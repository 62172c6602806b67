"""A tampered audit CSV whose detail is JSON nested past the bound is refused as a bad row, not a crash."""

import pytest
from django.core.management import CommandError

from core.audit_csv import AUDIT_CSV_COLUMNS
from tests.support.audit import download, rewrite, verify_csv

pytestmark = pytest.mark.django_db
DETAIL = AUDIT_CSV_COLUMNS.index("detail")


def test_verify_refuses_a_csv_detail_nested_too_deep(trail, checkpoint_bucket, client, auditor, tmp_path):
    path = download(client, auditor, tmp_path, "dev")
    rewrite(path, lambda rows: [[*rows[0][:DETAIL], "[" * 100_000, *rows[0][DETAIL + 1 :]], *rows[1:]])

    with pytest.raises(CommandError, match="not an exported audit entry \\(JSON nested more than 32 levels"):
        verify_csv(path)  # the command's refusal (exit 1 with the message), not a RecursionError
