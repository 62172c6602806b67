"""Audit CSV exports in tests: download one as an auditor, rewrite its rows, verify it with verify_audit."""

import csv
import io

from django.core.management import call_command
from django.urls import reverse


def verify_csv(*paths) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--csv", *map(str, paths), stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()


def download(client, auditor, tmp_path, environment=None):
    client.force_login(auditor)
    query = f"?environment={environment}" if environment else ""
    response = client.get(reverse("requests:audit-export") + query)
    assert response.status_code == 200
    path = tmp_path / f"{environment or 'all'}.csv"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def rewrite(path, transform):
    rows = list(csv.reader(path.open(newline="")))
    rows = [rows[0], *transform(rows[1:])]
    with path.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
