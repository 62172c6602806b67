"""The audit CSV as an HTTP download, shared by the audit page and the audit API."""

from django.http import StreamingHttpResponse

from requests_app import exports
from requests_app.models import Environment


class UnknownEnvironment(ValueError):
    def __init__(self, environment: str):
        super().__init__(f"Unknown environment {environment!r}; use one of {', '.join(Environment.values)}.")


def audit_csv_download(environment: str | None) -> StreamingHttpResponse:
    """The streamed CSV of one environment (or all); raises :class:`UnknownEnvironment`."""
    if environment and environment not in Environment.values:
        raise UnknownEnvironment(environment)
    response = StreamingHttpResponse(
        exports.audit_csv_lines(environment), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{environment or "all"}-s3_request_audit.csv"'
    return response
