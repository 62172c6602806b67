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
    """The next request number; call inside the transaction that saves the request."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_request_number() must run inside transaction.atomic()")
    sequence = _locked_sequence(REQUEST_SEQUENCE)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def advance_request_sequence_past(number: int) -> None:
    """Imports keep their IDs; new requests continue after the highest one."""
    sequence = _locked_sequence(REQUEST_SEQUENCE)
    if number > sequence.last_value:
        sequence.last_value = number
        sequence.save(update_fields=["last_value"])
