"""Schemathesis against /api/v1/schema/: every operation, generated input, in-process (WSGI).

Checks: no server error (5xx) and every response matches the schema it documents. The client
is a service account holding every role and a token with every scope, so the fuzzer reaches the
code behind the permission checks; the throttle is raised so that it does not answer 429 first.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from core import roles
from core.models import TokenScope
from core.tokens import issue_token
from tests.contract.cases import request_input
from tests.runner.factories import saved_request
from tests.support.common import make_user

MAX_EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def fuzz_token(db, settings):
    settings.API_TOKEN_THROTTLE_RATE = "1000000/min"
    account = make_user("svc-fuzz", roles.REQUESTERS, roles.PLATFORM_APPROVERS, roles.AUDITORS, is_staff=True)
    saved_request(request_input(application="fuzz-seed"))  # something to list, show and decide on
    yield issue_token(account, "fuzz", TokenScope.values).text
    # Throttle counts are kept per token id in the shared cache; ids repeat in the next test's
    # database, so leave no count behind for tests that keep the normal rate.
    cache.clear()


@pytest.fixture
def test_database_kept_open():
    """The real WSGI handler closes the connection after each request, which would end the
    test's transaction; Django's own test client unhooks the same signal handlers."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


# The schema is public, so it loads at collection time, before any database exists.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_answers_every_generated_request_within_its_schema(case, fuzz_token, test_database_kept_open):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
