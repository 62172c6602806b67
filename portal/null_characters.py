"""Refuse NUL characters in the path and query string with 400: PostgreSQL cannot compare text with them.

A filter such as ``?owner=%00`` or an ID such as ``/api/v1/s3-requests/S3-%0001/`` otherwise
reaches the database and fails there (a 500 on PostgreSQL, found by schemathesis). No
parameter or path of the portal can legitimately carry one.
"""

from django.http import HttpResponse, JsonResponse

MESSAGE = "Query parameters may not contain NUL characters (%00)."
PATH_MESSAGE = "Paths may not contain NUL characters (%00)."


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        message = _refusal(request)
        if message:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "null-character"}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _refusal(request) -> str | None:
    if "\x00" in request.path:
        return PATH_MESSAGE
    if _has_null_character(request.GET):
        return MESSAGE
    return None


def _has_null_character(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
