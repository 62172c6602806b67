"""Who holds a bucket name: one name, one live request (docs/decisions/portal-unique-bucket-names.md).

A request holds its bucket name from submission on, whatever happens next, unless it was
rejected or cancelled: pending, approved, queued, applying, applied and *failed* requests hold it
(a failed request can be retried and may have created part of the bucket; its catalog entry keeps
the name too). Every entry point refuses a held name as a problem on ``spec.bucketName`` naming the
holder: the preview, submissions (form, API), ``s3_contract validate`` with a database, imports.

Race safety: submissions and imports check while holding the request-ID sequence row lock
(``requests_app.ids``), which every writer of a new request takes first, so two submissions of one
name cannot both pass the check.
"""

from django.db.models import Q

from requests_app.contract import Problem
from requests_app.models import BucketRequest, RequestStatus
from requests_app.visibility import visible_requests

# Requests in these states hold no name: they will never create a bucket.
RELEASED_STATUSES = (RequestStatus.REJECTED, RequestStatus.CANCELLED)
TAKEN_CODE = "bucket-name.taken"


def name_holder(bucket_name: str, *, except_request_id: str | None = None) -> BucketRequest | None:
    """The earliest request holding ``bucket_name`` (other than ``except_request_id``), or None."""
    holders = BucketRequest.objects.filter(bucket_name=bucket_name).filter(
        ~Q(status__in=RELEASED_STATUSES) | Q(catalog_entry__isnull=False)
    )
    if except_request_id:
        holders = holders.exclude(request_id=except_request_id)
    return holders.order_by("number").only("request_id", "status", "bucket_name").first()


def name_taken_problems(
    bucket_name: str | None, *, except_request_id: str | None = None, viewer=None
) -> list[Problem]:
    """A problem on ``spec.bucketName`` naming the request that holds the name; none when it is free.

    ``viewer``: the account filing. The holder's ID and status are said only to a viewer who may see that
    request (requests_app.visibility: to others it answers 404); operators (no viewer) always read them."""
    holder = name_holder(bucket_name, except_request_id=except_request_id) if bucket_name else None
    if holder is None:
        return []
    if viewer is None or visible_requests(viewer).filter(pk=holder.pk).exists():
        held_by = f"held by {holder.request_id} ({holder.get_status_display().lower()})"
    else:
        held_by = "held by a request you cannot see"
    return [
        Problem(
            "spec.bucketName",
            f"The bucket name '{bucket_name}' is {held_by}; "
            "choose another application name or purpose, or ask the owner of that request.",
            code=TAKEN_CODE,
            field="application",
        )
    ]
