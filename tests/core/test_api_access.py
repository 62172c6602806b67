"""Every API endpoint, every method, against every token scope and every role.

``ACCESS`` is the table: for each endpoint and method, the token scope it needs, the Django
permission it needs and the roles holding that permission. The tests walk the URL resolver: an
API endpoint (or method) missing from the table, or whose view declares no rule or another rule
than the table's, fails; then each endpoint is called by every role with a token of each scope,
and with a session, and must let in exactly the callers the table says.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core import roles
from core.api.permissions import BACKSTAGE_REFUSAL, PUBLIC, DeclaredAccess, Rule
from core.models import ServiceAccount, TokenScope
from core.tokens import issue_token
from requests_app import status_machine
from requests_app.models import BucketRequest
from runner.models import Run, RunStatus
from tests.runner.factories import approved_request, saved_request
from tests.support.common import make_user

pytestmark = pytest.mark.django_db

REQUESTER, APPROVER, AUDITOR, NO_ROLE = "requester", "approver", "auditor", "no-role"
ALL_ROLES = (REQUESTER, APPROVER, AUDITOR, NO_ROLE)
READERS = {REQUESTER, APPROVER, AUDITOR}
OVERSEERS = {APPROVER, AUDITOR}

# (route name, method) -> (token scope, Django permission, roles that hold the permission); None = public.
ACCESS = {
    ("requests-api:request-list", "GET"): ("read", "requests_app.view_bucketrequest", READERS),
    ("requests-api:request-list", "POST"): ("submit", "requests_app.submit_bucketrequest", {REQUESTER}),
    ("requests-api:request-preview", "POST"): ("submit", "requests_app.submit_bucketrequest", {REQUESTER}),
    ("requests-api:request-detail", "GET"): ("read", "requests_app.view_bucketrequest", READERS),
    ("requests-api:request-approve", "POST"): ("approve", "requests_app.decide_bucketrequest", {APPROVER}),
    ("requests-api:request-reject", "POST"): ("approve", "requests_app.decide_bucketrequest", {APPROVER}),
    # Only the request's own requester withdraws it (requests_app.withdrawal): the roles here may call it.
    ("requests-api:request-withdraw", "POST"): ("submit", "requests_app.submit_bucketrequest", {REQUESTER}),
    ("requests-api:catalog-list", "GET"): ("read", "requests_app.view_catalogentry", READERS),
    ("requests-api:audit-list", "GET"): ("read", "core.view_auditentry", OVERSEERS),
    ("requests-api:audit-list", "GET?format=csv"): ("read", "core.export_auditentry", {AUDITOR}),
    ("requests-api:audit-verify", "GET"): ("read", "core.view_auditentry", OVERSEERS),
    ("requests-api:backstage-entities", "GET"): ("read", "requests_app.view_catalogentry", READERS),
    ("api-run-detail", "GET"): ("read", "runner.view_run", READERS),
    ("api-run-cancel", "POST"): ("approve", "runner.cancel_run", {APPROVER}),
    ("api-request-retry", "POST"): ("approve", "runner.retry_run", {APPROVER}),
    ("api-request-abandon", "POST"): ("approve", "runner.retry_run", {APPROVER}),
    ("api-request-plan", "GET"): ("read", "runner.view_run", READERS),
    ("api-request-plan", "POST"): ("approve", "runner.retry_run", {APPROVER}),
    ("replication-health-api", "GET"): ("read", "replication.view_bucketpair", READERS),
    ("bucket-compliance-api", "GET"): ("read", "compliance.view_finding", READERS),
    ("api-schema", "GET"): None,
    ("api-docs", "GET"): None,
}

# What a Backstage caller's token may call (core.api.permissions: the proxy's token, used by anyone signed
# in to Backstage): what it does for the person a user token proves, and the catalog. Refused all else.
BACKSTAGE = {
    ("requests-api:request-list", "POST"),
    ("requests-api:request-preview", "POST"),
    ("requests-api:request-withdraw", "POST"),
    ("requests-api:catalog-list", "GET"),
    ("requests-api:backstage-entities", "GET"),
}


def served_views():
    """(route name, route, callback) of every URL pattern the project serves."""
    found = []

    def walk(patterns, prefix, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                found.append(
                    (
                        ":".join([*namespaces, pattern.name or "?"]),
                        prefix + str(pattern.pattern),
                        pattern.callback,
                    )
                )

    walk(get_resolver().url_patterns, "", [])
    return found


def api_endpoints() -> dict[tuple[str, str], tuple[str, type]]:
    """(route name, method) -> (route, view class) for every DRF view and everything under api/, one per
    declared query variant (``GET?format=csv``); OPTIONS is checked on its own."""
    endpoints = {}
    for name, route, callback in served_views():
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        is_api = view_class is not None and issubclass(view_class, APIView)
        if not (is_api or route.startswith("api/")):
            continue
        methods = (
            [
                m.upper()
                for m in getattr(view_class, "http_method_names", ["get"])
                if m != "options" and hasattr(view_class, m)
            ]
            if view_class
            else ["GET"]
        )
        variants = [key for key in getattr(view_class, "access", {}) if "?" in key]
        for method in [*methods, *variants]:
            endpoints[(name, method)] = (route, view_class)
    return endpoints


def test_every_api_endpoint_and_method_is_in_the_table():
    served = set(api_endpoints())
    assert served - set(ACCESS) == set(), "API endpoints without a row in ACCESS (add the row and a rule)"
    assert set(ACCESS) - served == set(), "rows of ACCESS for endpoints that no longer exist"


def test_every_api_view_declares_the_tables_rule_through_the_one_permission_class():
    for (name, method), (route, view_class) in api_endpoints().items():
        assert view_class is not None and issubclass(view_class, APIView), f"{route}: not a DRF view"
        assert list(view_class.permission_classes) == [DeclaredAccess], (
            f"{name} {method}: uses {view_class.permission_classes}, not core.api.permissions.DeclaredAccess"
        )
        declared = view_class.access.get(method) if hasattr(view_class, "access") else None
        expected = ACCESS[(name, method)]
        for_backstage = (name, method) in BACKSTAGE
        assert declared == (
            PUBLIC if expected is None else Rule(*expected[:2], for_backstage=for_backstage)
        ), f"{name} {method}: declares {declared}, the table says {expected}"


def test_the_tables_roles_are_the_roles_holding_each_permission():
    """The table's role column agrees with the groups (so 'who may' below is the roles' real permissions)."""
    group_of = {REQUESTER: roles.REQUESTERS, APPROVER: roles.PLATFORM_APPROVERS, AUDITOR: roles.AUDITORS}
    for key, row in ACCESS.items():
        if row is None:
            continue
        _, permission, allowed = row
        holders = {role for role, group in group_of.items() if permission in roles.ROLE_PERMISSIONS[group]}
        assert holders == allowed, f"{key}: roles holding {permission} are {holders}"


def test_a_view_without_a_rule_is_refused_for_everyone(rf, approver):
    """Fail closed: a view added without ``access`` (or a method it forgot) answers 403, never lets in."""

    class Forgotten(APIView):
        def get(self, request):
            raise AssertionError("must not be reached")

    class HalfDeclared(APIView):
        access = {"GET": Rule("read", "runner.view_run")}

        def get(self, request):
            return None

        def post(self, request):
            raise AssertionError("must not be reached")

    superuser = make_user("root")
    superuser.is_superuser = True
    superuser.save()
    for view, method in ((Forgotten, "get"), (HalfDeclared, "post")):
        request = getattr(rf, method)("/api/v1/forgotten/")
        request.user = superuser
        request._dont_enforce_csrf_checks = True
        assert view.as_view()(request).status_code == 403


@pytest.fixture
def subjects(db):
    """Objects the endpoints' URLs name: a pending request (filed by nobody in the test), a failed one
    with its run (cancel answers 409, retry 201 once)."""
    pending = saved_request()
    failed = approved_request()
    run = Run.objects.get(request=failed)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now())
    status_machine.transition(failed, "mark_failed", actor="system")
    return {"request_id": pending.request_id, "pk": run.pk, "failed_request_id": failed.request_id}


def _url(name: str, route: str, subjects: dict) -> str:
    path = "/" + route
    path = path.replace(
        "<str:request_id>",
        subjects["failed_request_id"] if name == "api-request-retry" else subjects["request_id"],
    )
    return path.replace("<int:pk>", str(subjects["pk"]))


def _call(client: APIClient, method: str, url: str):
    method, _, condition = method.partition("?")
    if method == "GET":
        return client.get(url + (f"?{condition}" if condition else ""))
    return client.post(url, {"comment": "access matrix", "application": "x"}, format="json")


def _accounts():
    return {
        REQUESTER: make_user("rhea", roles.REQUESTERS),
        APPROVER: make_user("avery", roles.PLATFORM_APPROVERS, is_staff=True),
        AUDITOR: make_user("aude", roles.AUDITORS),
        NO_ROLE: make_user("nora"),
    }


def _session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _token(user, scope: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, scope, [scope]).text}")
    return client


def test_each_endpoint_lets_in_exactly_the_tables_scopes_and_roles(subjects):
    callers = {}
    for role, user in _accounts().items():
        callers[(role, "session")] = _session(user)
        for scope in TokenScope.values:
            callers[(role, scope)] = _token(user, scope)
    wrong = []
    for (name, method), (route, _) in sorted(api_endpoints().items()):
        url = _url(name, route, subjects)
        row = ACCESS[(name, method)]
        anonymous = _call(APIClient(), method, url).status_code
        if (row is None) != (anonymous not in (401, 403)):
            wrong.append(f"{method} {url} anonymous: {anonymous}")
        for (role, credential), client in callers.items():
            status = _call(client, method, url).status_code
            allowed = row is None or (role in row[2] and credential in ("session", row[0]))
            if allowed != (status not in (401, 403)):
                wrong.append(
                    f"{method} {url} {role} with {credential}: {status}, expected "
                    f"{'in' if allowed else 'refused'}"
                )
    assert wrong == []


def test_a_backstage_callers_token_is_refused_everything_but_filing_and_the_catalog(subjects):
    """Whatever roles and scopes the proxy's account holds: anyone signed in to Backstage uses its token."""
    account = make_user("svc-backstage-matrix", roles.REQUESTERS, roles.PLATFORM_APPROVERS, roles.AUDITORS)
    ServiceAccount.objects.create(user=account, purpose="Backstage proxy", backstage_caller=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(account, 'proxy', TokenScope.values).text}")
    wrong = []
    for (name, method), (route, _) in sorted(api_endpoints().items()):
        response = _call(client, method, _url(name, route, subjects))
        refused = response.status_code == 403 and response.json().get("detail") == BACKSTAGE_REFUSAL
        if refused != ((name, method) not in BACKSTAGE and ACCESS[(name, method)] is not None):
            wrong.append(f"{method} {name}: {response.status_code}")
    assert wrong == []


def test_options_reveals_nothing(subjects, approver):
    """OPTIONS answers no metadata (405) to a signed-in caller and 401/403 to anyone else."""
    for (name, _), (route, _) in api_endpoints().items():
        url = _url(name, route, subjects)
        assert _session(approver).options(url).status_code == 405, url
        assert APIClient().options(url).status_code in (401, 403, 405), url


# Issue 12, first list: the runner's API checked only IsAuthenticated.


def test_a_read_token_cannot_cancel_runs_or_start_new_ones(approver, subjects):
    """A read-only token of a (staff) platform approver: cancel and retry need the approve scope."""
    reader = _token(approver, "read")
    assert reader.post(f"/api/v1/runs/{subjects['pk']}/cancel/").status_code == 403
    assert reader.post(f"/api/v1/s3-requests/{subjects['failed_request_id']}/retry/").status_code == 403
    assert Run.objects.filter(request__request_id=subjects["failed_request_id"]).count() == 1
    approve = _token(approver, "approve")
    assert approve.post(f"/api/v1/s3-requests/{subjects['failed_request_id']}/retry/").status_code == 201


def test_a_submit_token_cannot_read_runs(subjects):
    submitter = make_user("sid", roles.REQUESTERS)
    BucketRequest.objects.filter(request_id=subjects["failed_request_id"]).update(submitted_by=submitter)
    assert _token(submitter, "submit").get(f"/api/v1/runs/{subjects['pk']}/").status_code == 403
    assert _token(submitter, "read").get(f"/api/v1/runs/{subjects['pk']}/").status_code == 200
