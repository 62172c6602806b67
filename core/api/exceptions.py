"""The API's exception handler: DRF's, plus Django's refusals of an oversized body as JSON.

Django refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or a form with more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields, or files) when DRF first reads it, with a
``SuspiciousOperation``: left to Django, an API client got the HTML "Bad Request" page and the log an
ERROR from ``django.security``. Here it is the API's own error body: 413 for a body too large, 400 for
too many fields; nothing was read, so nothing changed.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body-too-large"

    def __init__(self):
        super().__init__(
            f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes, the most this API reads."
        )


class TooManyFields(exceptions.ParseError):
    default_code = "too-many-fields"


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = TooManyFields(f"The form has more fields or files than this API reads: {exc}")
    else:
        return exception_handler(exc, context)
    response = exception_handler(exc, context)
    response.data["code"] = exc.default_code  # as the API's other refusals: {"detail", "code"}
    return response
