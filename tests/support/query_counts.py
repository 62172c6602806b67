"""Pinned query counts: each page and API list has its exact number of queries written in its test app's
``query_counts.json`` (one file per app, as NetBox keeps them), measured with few rows and with many.

A count that grows fails: find the query that a row (or a change) added. A count that shrinks fails too, and
says which number to write in the file, so the pin follows every improvement. To rewrite the file from a
run, set ``UPDATE_QUERY_COUNTS=1`` (the counts must still be the same for every number of rows).
"""

import json
import os
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

UPDATE_VARIABLE = "UPDATE_QUERY_COUNTS"
FILE_NAME = "query_counts.json"


def queries_for(client, url: str, status: int = 200) -> int:
    """The number of queries one GET of ``url`` makes (a streamed body is read to its end)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


def counts_file(test_file: str) -> Path:
    return Path(test_file).resolve().with_name(FILE_NAME)


def _pins(path: Path) -> dict[str, int]:
    return json.loads(path.read_text()) if path.exists() else {}


def _write_pin(path: Path, key: str, count: int) -> None:
    pins = {**_pins(path), key: count}
    path.write_text(json.dumps(dict(sorted(pins.items())), indent=2) + "\n")


def assert_pinned(test_file: str, key: str, measured: dict[int, int]) -> None:
    """``measured`` maps a number of rows to the queries counted with them; every count must equal the pin
    for ``key`` in the ``query_counts.json`` beside ``test_file``."""
    path = counts_file(test_file)
    shown = ", ".join(f"{rows} rows: {count} queries" for rows, count in measured.items())
    counts = set(measured.values())
    assert len(counts) == 1, f"{key}: the number of queries grows with the rows ({shown})"
    (count,) = counts
    if os.environ.get(UPDATE_VARIABLE) == "1":
        _write_pin(path, key, count)
        return
    pinned = _pins(path).get(key)
    where = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    assert pinned is not None, f'{key}: no pinned count; add "{key}": {count} to {where}'
    assert count <= pinned, (
        f"{key}: {count} queries, {count - pinned} more than the {pinned} pinned in {where}"
    )
    assert count == pinned, (
        f"{key}: {count} queries, fewer than the {pinned} pinned: write {count} for it in {where} "
        f"(or run with {UPDATE_VARIABLE}=1)"
    )
