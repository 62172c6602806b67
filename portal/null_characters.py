"""Refuse NUL characters in query strings with 400: PostgreSQL cannot compare text with them.

A filter such as ``?owner=%00`` otherwise reaches the database and fails there (a 500 on
PostgreSQL, found by schemathesis). No parameter of the portal can legitimately carry one.
"""

from django.http import HttpResponse, JsonResponse

MESSAGE = "Query parameters may not contain NUL characters (%00)."


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_null_character(request.GET):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE, "code": "null-character"}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_null_character(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
