import pytest

from requests_app.contract import PlatformPolicy, RequestInput, build_contract
from tests.contract.cases import request_input


@pytest.fixture
def policy() -> PlatformPolicy:
    return PlatformPolicy()


@pytest.fixture
def build(policy):
    """Build a contract from `request_input(**overrides)` with the default policy."""

    def _build(**overrides):
        return build_contract(RequestInput.model_validate(request_input(**overrides)), "S3-0001", policy)

    return _build
