"""A lost database connection answers 503 "nothing was saved, retry" instead of a bare 500.

Submissions and decisions run in one transaction, so when the connection drops mid-way the
transaction is gone with it and nothing was written: the client may safely send the same
thing again (API clients with the same Idempotency-Key; the web form keeps its own key).
This middleware turns the connection errors Django raises then (``OperationalError``,
``InterfaceError``) into that answer: JSON under ``/api/``, a page that needs no database
elsewhere. Other database errors (integrity, programming) stay 500s: they are bugs.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable; nothing was saved. Please retry in a few seconds."


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable while serving %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": MESSAGE, "code": "database-unavailable"}, status=503)
        else:
            # Rendered without context processors: they would query the database again.
            response = HttpResponse(
                render_to_string("portal/database_unavailable.html", {"message": MESSAGE}), status=503
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
