"""Every web page and page action, against every role, a requester of another team and no one signed in.

``PAGES`` is the table: for each page route (everything the resolver serves outside ``api/`` and
``admin/``) and method, who may use it, and who is refused with 404 rather than 403 because the object
is hidden from them. The tests walk the URL resolver: a page route missing from the table fails, so a
new page cannot be added without deciding its access. Then each route is called by every caller with a
session (``force_login``) and anonymously:

- *let in*: the view did its work: a 200, or its own answer to the input or the object's state (a 302
  back to the page with a message, a 400 form error, a 503 from the health check); never a 403, 404,
  405 or the redirect to the login page;
- *refused*: 403; 404 for the callers listed as ``hidden`` (portal-visibility: a request or run someone
  may not see answers 404, so its ID does not leak); anonymous: the redirect to the login page.

Every object a route names is one the caller can see (the requester and the no-role user are members of
the owning team); ``OTHER_TEAM_HIDDEN`` separately lists where a requester of another team gets 404.
The objects are built once for the module and rolled back at its end.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core import roles
from core.models import Team
from replication.models import BucketPair, Incident
from requests_app import status_machine
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import saved_request
from tests.support.common import make_user
from tests.support.replication import make_catalog_entry

pytestmark = pytest.mark.django_db

REQUESTER, APPROVER, AUDITOR, NO_ROLE, ANONYMOUS = "requester", "approver", "auditor", "no-role", "anonymous"
OTHER_TEAM = "requester of another team"
SIGNED_IN = frozenset({REQUESTER, APPROVER, AUDITOR, NO_ROLE})
PUBLIC = SIGNED_IN | {ANONYMOUS}
READERS = frozenset({REQUESTER, APPROVER, AUDITOR})  # the three roles (each holds the view permissions)
CALLERS = (REQUESTER, APPROVER, AUDITOR, NO_ROLE, ANONYMOUS)


@dataclass(frozen=True)
class Access:
    allowed: frozenset
    hidden: frozenset = frozenset()  # refused with 404: the object is hidden from them


def only(*callers) -> Access:
    return Access(frozenset(callers))


# (route name, method) -> who may. Unnamed routes go by their path. A GET row covers HEAD too (the page
# answers it as GET: ``require_safe``) except on GET_ONLY routes; any other method without a row answers 405.
PAGES = {
    ("home", "GET"): Access(SIGNED_IN),
    ("healthz", "GET"): Access(PUBLIC),  # load balancers ask without a session
    ("favicon.ico", "GET"): Access(PUBLIC),
    ("login", "GET"): Access(PUBLIC),
    ("login", "POST"): Access(PUBLIC),
    ("logout", "POST"): Access(PUBLIC),
    # Requests: the form is the requesters'; reading needs view_bucketrequest (the three roles, as in the
    # API), then lists and pages follow requests_app.visibility.
    ("requests:new", "GET"): only(REQUESTER),
    ("requests:new", "POST"): only(REQUESTER),
    ("requests:list", "GET"): Access(READERS),  # "My requests": whatever visibility gives them
    ("requests:detail", "GET"): Access(READERS),
    ("requests:contract", "GET"): Access(READERS),
    ("requests:queue", "GET"): only(APPROVER),
    ("requests:decide", "POST"): only(APPROVER),
    # Only the request's own requester withdraws it (requests_app.withdrawal); a teammate gets 403.
    ("requests:withdraw", "POST"): only(REQUESTER),
    # The catalog is the platform's inventory: every role reads it whole (portal-visibility).
    ("requests:catalog", "GET"): Access(READERS),
    ("requests:catalog-detail", "GET"): Access(READERS),
    # The audit trail: view_auditentry (approvers, auditors); its CSV: export_auditentry (auditors only).
    ("requests:audit", "GET"): only(APPROVER, AUDITOR),
    ("requests:audit-export", "GET"): only(AUDITOR),
    # Runs: runner.view_run and the request's visibility (runner.access.visible_run hides the run: 404).
    ("runner:run-detail", "GET"): Access(READERS, hidden=frozenset({NO_ROLE})),
    ("runner:run-status", "GET"): Access(READERS, hidden=frozenset({NO_ROLE})),
    ("runner:run-cancel", "POST"): Access(frozenset({APPROVER}), hidden=frozenset({NO_ROLE})),
    ("runner:request-retry", "POST"): only(APPROVER),
    ("runner:request-plan", "POST"): only(APPROVER),
    ("runner:request-abandon", "POST"): only(APPROVER),
    # Replication: all three roles look (docs/replication-health.md); approvers manage incidents.
    ("replication:health", "GET"): Access(READERS),
    ("replication:pair", "GET"): Access(READERS),
    ("replication:incident", "GET"): Access(READERS),
    ("replication:acknowledge", "POST"): only(APPROVER),
    ("replication:resolve", "POST"): only(APPROVER),
    ("replication:sns-hook", "POST"): Access(PUBLIC),  # authenticated by the SNS signature, not a session
    # Compliance: approvers remediate (compliance.remediate_bucket).
    ("compliance:remediate", "POST"): only(APPROVER),
}

# Where a requester of another team gets 404 (portal-visibility: requests and their runs). Everywhere else
# they get what the requester who can see the object gets.
OTHER_TEAM_HIDDEN = {
    "requests:detail",
    "requests:contract",
    "requests:withdraw",
    "runner:run-detail",
    "runner:run-status",
    "runner:run-cancel",
    "runner:request-retry",
    "runner:request-plan",
    "runner:request-abandon",
}

# POST routes that take no CSRF token: the SNS hook is called by AWS, which has no cookie (its signature
# is checked instead).
CSRF_EXEMPT = {"replication:sns-hook"}
NOT_PAGES = ("api/", "admin/")
# GET routes that refuse HEAD: the audit export records its checkpoint before the first line, so a HEAD
# would record an export that delivered nothing.
GET_ONLY = {"requests:audit-export"}
# The methods each route is tried with: without a row, 405 (HEAD on a page excepted; OPTIONS as in the API).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def page_routes() -> dict[str, URLPattern]:
    """Route name (or path, when unnamed) -> pattern, for everything served outside the API and the admin."""
    found = {}

    def walk(patterns, prefix, namespaces):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, route, inner)
            elif not route.startswith(NOT_PAGES):
                found[":".join([*namespaces, pattern.name]) if pattern.name else route] = pattern

    walk(get_resolver().url_patterns, "", [])
    return found


def test_every_page_route_is_in_the_table():
    served = set(page_routes())
    in_table = {name for name, _ in PAGES}
    assert served - in_table == set(), "page routes without a row in PAGES (decide who may use them)"
    assert in_table - served == set(), "rows of PAGES for routes that no longer exist"
    assert OTHER_TEAM_HIDDEN <= in_table and CSRF_EXEMPT <= in_table and GET_ONLY <= in_table


@dataclass
class World:
    users: dict
    request_id: str  # pending, filed by the requester for their team
    failed_request_id: str  # its first run failed
    run_pk: int
    bucket_name: str
    pair_pk: int
    incident_pk: int


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The callers and one object of each kind, built once for the module and rolled back at its end
    (each test still runs in its own savepoint, so the actions it calls leave nothing behind)."""
    with django_db_blocker.unblock(), transaction.atomic():
        users = {
            REQUESTER: make_user("rhea", roles.REQUESTERS),
            APPROVER: make_user("avery", roles.PLATFORM_APPROVERS, is_staff=True),
            AUDITOR: make_user("aude", roles.AUDITORS),
            NO_ROLE: make_user("nora"),
            OTHER_TEAM: make_user("otto", roles.REQUESTERS),
        }
        pending = saved_request(request_input(requester="rhea"), submitted_by=users[REQUESTER])
        Team.objects.get(slug="app-team").members.add(users[REQUESTER], users[NO_ROLE])
        Team.objects.get(slug="data-team").members.add(users[OTHER_TEAM])
        failed = saved_request(request_input(application="ledger-api", requester="rhea"))
        status_machine.transition(failed, "approve", actor="alex")  # the runner queues run 1
        run = Run.objects.get(request=failed)
        Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now())
        status_machine.transition(failed, "mark_failed", actor="system")
        entry = make_catalog_entry("goldenpath-prod-orders-backup", "app-team")
        pair = BucketPair.objects.create(
            primary_bucket=entry.bucket_name,
            replica_bucket=entry.bucket_name + "-replica",
            catalog_entry=entry,
        )
        incident = Incident.objects.create(
            pair=pair,
            reason="CONTENT_MISMATCH",
            kind="MISMATCH",
            severity="failure",
            last_event_at=timezone.now(),
        )
        yield World(
            users, pending.request_id, failed.request_id, run.pk, entry.bucket_name, pair.pk, incident.pk
        )
        transaction.set_rollback(True)


def url_of(name: str, pattern: URLPattern, world: World) -> str:
    if pattern.name is None:  # an unnamed route (no arguments): its path
        return "/" + name
    if name == "replication:pair":
        pk = world.pair_pk
    elif name.startswith("replication:"):
        pk = world.incident_pk  # the incident page and its actions
    else:
        pk = world.run_pk  # the run pages and cancel
    retried = name in ("runner:request-retry", "runner:request-abandon")
    values = {
        "request_id": world.failed_request_id if retried else world.request_id,
        "pk": pk,
        "bucket_name": world.bucket_name,
    }
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def call(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if url.startswith("/hooks/"):  # unsigned: the hook's own 400, whoever calls
        return client.post(url, b"not an SNS message", content_type="text/plain")
    return client.post(url)  # no fields: a form error, a state message or the action (undone with the test)


def signed_in(user, **options) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def is_login_redirect(response) -> bool:
    """The login requirement's answer: to the login page, with the page asked for as ``next``."""
    location = urlsplit(response.get("Location", ""))
    return response.status_code == 302 and location.path == reverse("login") and "next=" in location.query


def outcome(response) -> str:
    """'in', '403', '404' or 'login' (a 405 or 401 is reported as its code: never right for a table row)."""
    if is_login_redirect(response):
        return "login"
    if response.status_code in (401, 403, 404, 405):
        return str(response.status_code)
    return "in"


def expected(access: Access, caller: str) -> str:
    if caller in access.allowed:
        return "in"
    if caller == ANONYMOUS:
        return "login"
    return "404" if caller in access.hidden else "403"


def test_each_page_lets_in_exactly_the_tables_callers(world):
    routes = page_routes()
    wrong = []
    for (name, method), access in PAGES.items():
        url = url_of(name, routes[name], world)
        for caller in CALLERS:
            got = outcome(call(signed_in(world.users.get(caller)), method, url))
            if got != expected(access, caller):
                wrong.append(f"{method} {url} {caller}: {got}, expected {expected(access, caller)}")
    assert not wrong, "\n".join(wrong)


def test_a_requester_of_another_team_gets_404_where_visibility_hides_the_object(world):
    routes = page_routes()
    wrong = []
    for (name, method), access in PAGES.items():
        url = url_of(name, routes[name], world)
        want = "404" if name in OTHER_TEAM_HIDDEN else expected(access, REQUESTER)
        got = outcome(call(signed_in(world.users[OTHER_TEAM]), method, url))
        if got != want:
            wrong.append(f"{method} {url}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_every_page_action_refuses_a_post_without_the_csrf_token(world):
    """Each POST route, called by someone it lets in but without the token, answers 403 (the hook excepted)."""
    routes = page_routes()
    for (name, method), access in PAGES.items():
        if method != "POST":
            continue
        caller = next(c for c in (APPROVER, REQUESTER, ANONYMOUS) if c in access.allowed)
        client = signed_in(world.users.get(caller), enforce_csrf_checks=True)
        response = call(client, method, url_of(name, routes[name], world))
        if name in CSRF_EXEMPT:
            assert response.status_code != 403, name
        else:
            assert response.status_code == 403 and b"CSRF" in response.content, (
                f"{name}: {response.status_code}"
            )


def answered(name: str, rows) -> set[str]:
    """The methods a route answers: its rows', and HEAD where it answers GET (GET_ONLY excepted)."""
    return set(rows) | ({"HEAD"} if "GET" in rows and name not in GET_ONLY else set())


def test_each_page_refuses_every_method_it_has_no_row_for(world):
    """Called by someone the route lets in, every method it does not answer gets 405 with an Allow header
    naming exactly those it does: a link or an image cannot act (GET on an action), a list takes no POST,
    no page takes PUT, PATCH, DELETE or OPTIONS. HEAD on a page lets them in as GET does."""
    routes = page_routes()
    wrong = []
    for name, pattern in routes.items():
        rows = {method: access for (route, method), access in PAGES.items() if route == name}
        caller = next(c for c in CALLERS if all(c in access.allowed for access in rows.values()))
        client = signed_in(world.users.get(caller))
        url = url_of(name, pattern, world)
        methods = answered(name, rows)
        for method in set(METHODS) - set(rows):  # the rows' own methods are the tests above
            response = client.generic(method, url)
            if method in methods:
                if outcome(response) != "in":
                    wrong.append(f"{method} {url}: {response.status_code}, expected in")
            elif response.status_code != 405 or set(response.get("Allow", "").split(", ")) != methods:
                wrong.append(f"{method} {url}: {response.status_code}, Allow: {response.get('Allow')}")
    assert not wrong, "\n".join(sorted(wrong))
