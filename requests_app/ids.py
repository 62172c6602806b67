"""Request IDs: ``S3-0001``, ``S3-0002``, … contiguous and never duplicated.

The counter is a locked row updated in the caller's transaction: if the submission rolls
back, so does the counter, so no number is skipped; concurrent submissions queue on the
row lock (PostgreSQL) or the database write lock (SQLite). After ``S3-9999`` the number
simply grows a digit (``S3-10000``): IDs stay unique and sort by their number field, and
the contract accepts ``S3-`` followed by four or more digits (docs/decisions).
"""

from django.db import transaction

from requests_app.contract.patterns import full_match
from requests_app.contract.vocabulary import REQUEST_ID_PATTERN
from requests_app.models import IdSequence

REQUEST_SEQUENCE = "S3"


def format_request_id(number: int) -> str:
    return f"S3-{number:04d}"


def parse_request_id(request_id: str) -> int:
    if not full_match(REQUEST_ID_PATTERN, request_id):
        raise ValueError(f"{request_id!r} is not a request ID like S3-0001")
    return int(request_id.removeprefix("S3-"))


def _locked_sequence(name: str) -> IdSequence:
    return IdSequence.objects.select_for_update().get(name=name)


def allocate_request_number() -> int:
    """The next request number; call inside the transaction that saves the request.

    One statement counts up and reads the new value (``UPDATE … RETURNING``; PostgreSQL, and SQLite
    from 3.35): every submission queues on this row until it commits, so each round trip spent
    holding it is paid by all of them (docs/decisions/submission-throughput.md).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_request_number() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdSequence._meta.db_table} SET last_value = last_value + 1 WHERE name = %s "
            "RETURNING last_value",
            [REQUEST_SEQUENCE],
        )
        row = cursor.fetchone()
    if row is None:
        raise IdSequence.DoesNotExist(f"no ID sequence {REQUEST_SEQUENCE!r} (migrations create it)")
    return row[0]


def advance_request_sequence_past(number: int) -> None:
    """Imports keep their IDs; new requests continue after the highest one."""
    sequence = _locked_sequence(REQUEST_SEQUENCE)
    if number > sequence.last_value:
        sequence.last_value = number
        sequence.save(update_fields=["last_value"])
