"""Request ids for log correlation, and the login requirement for every page.

Each HTTP request gets an id (taken from a trusted ``X-Request-ID`` header when a proxy
sets one, else generated); every log line written while serving it carries that id,
and the response echoes it so a user can quote it in a support ticket.
"""

import uuid

from django.contrib.auth.middleware import LoginRequiredMiddleware

from portal.json_logging import bind_request_id
from requests_app.contract.patterns import full_match

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

# Paths that authenticate themselves (API tokens, SNS signatures) or must answer
# without a session (health checks, the login page, static files, the admin login).
PUBLIC_PATH_PREFIXES = ("/api/", "/hooks/", "/healthz", "/static/", "/admin/", "/accounts/", "/favicon.ico")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if full_match(SAFE_REQUEST_ID_PATTERN, incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with bind_request_id(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class LoginRequiredExceptPublicMiddleware(LoginRequiredMiddleware):
    """Django's login requirement, except for paths that authenticate in other ways."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(PUBLIC_PATH_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
