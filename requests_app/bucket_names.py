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


def name_taken_problems(bucket_name: str | None, *, except_request_id: str | None = None) -> list[Problem]:
    """A problem on ``spec.bucketName`` naming the request that holds the name; none when it is free."""
    holder = name_holder(bucket_name, except_request_id=except_request_id) if bucket_name else None
    if holder is None:
        return []
    return [
        Problem(
            "spec.bucketName",
            f"The bucket name '{bucket_name}' is held by {holder.request_id} "
            f"({holder.get_status_display().lower()}); "
            "choose another application name or purpose, or ask the owner of that request.",
            code=TAKEN_CODE,
            field="application",
        )
    ]
