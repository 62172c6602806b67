"""Every pattern of the contract and the API matches the whole value in ASCII.

The patterns are collected, not listed: every ``pattern`` of the models' JSON schemas (checked
through the models themselves) and every ``*_PATTERN`` constant of the project's apps (checked
through ``full_match``, the only matcher the source may use: the last test enforces that).
Each is fed values it accepts, the same with a trailing newline, and with non-ASCII digits.
"""

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.contract import Contract, RequestInput, json_schema, parse_request_input
from requests_app.contract.loading import ContractSchemaError, load_contract_yaml
from requests_app.contract.patterns import full_match
from tests.contract.cases import SEED_CONTRACT, request_input

pytestmark = pytest.mark.db_independent

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Every app of the project (not third-party ones): an app added later is covered too.
PACKAGES = tuple(
    sorted(
        app.name
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(PROJECT_ROOT) and "site-packages" not in app.path
    )
)
# Modules that may use `re` directly, and why.
DIRECT_RE_ALLOWED = {
    "requests_app/contract/patterns.py": "the matcher itself",
    "runner/terraform_output.py": "reads Terraform's own output, not input",
}
NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # Arabic-Indic: \d matched them, int() reads them


def schema_patterns(model) -> list[tuple[str, str]]:
    """(top-level field, pattern) for every pattern in the model's JSON schema."""
    found = []

    def walk(node, field):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.append((field, node["pattern"]))
            for value in node.values():
                walk(value, field)
        elif isinstance(node, list):
            for item in node:
                walk(item, field)

    for name, prop in json_schema(model)["properties"].items():
        walk(prop, name)
    return found


def module_patterns() -> dict[str, str]:
    """Every ``*_PATTERN`` string constant of the portal's modules, by ``module.NAME``."""
    found = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in info.name or info.name.endswith(("wsgi", "asgi")):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if name.endswith("_PATTERN") and isinstance(value, str):
                    found[f"{info.name}.{name}"] = value
    return found


def attacks(value: str) -> list[str]:
    """Variants of an accepted value that must be refused."""
    variants = [value + "\n", value + NON_ASCII_DIGITS[3], value + "\uff13"]  # "\uff13": fullwidth 3
    if any(char.isdigit() for char in value):
        variants.append("".join(NON_ASCII_DIGITS[int(c)] if c.isdigit() else c for c in value))
    return variants


def examples(pattern: str):
    return st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True).filter(lambda text: "\n" not in text)


SCHEMA_CASES = [(RequestInput, field, pattern) for field, pattern in schema_patterns(RequestInput)] + [
    (Contract, field, pattern) for field, pattern in schema_patterns(Contract)
]
MODULE_CASES = sorted(module_patterns().items())


def test_the_collection_finds_the_known_patterns():
    assert {"core", "portal", "replication", "requests_app", "runner"} <= set(PACKAGES)
    assert {field for _, field, _ in SCHEMA_CASES} >= {
        "application",
        "owner",
        "requester",
        "costCenter",
        "id",
    }
    assert {name.rsplit(".", 1)[1] for name, _ in MODULE_CASES} >= {
        "REQUEST_ID_PATTERN",
        "TAG_CHARACTERS_PATTERN",
        "HTTPS_ORIGIN_PATTERN",
        "BUCKET_NAME_CHARACTERS_PATTERN",
        "SAFE_REQUEST_ID_PATTERN",
        "ENTITY_NAME_PATTERN",
        "AWS_CERT_HOST_PATTERN",
    }


def _contract_with(field: str, value: str) -> dict:
    import yaml

    document = yaml.safe_load(SEED_CONTRACT)
    document[field] = value
    return document


def _model_refuses(model, field: str, value: str) -> bool:
    if model is RequestInput:
        try:
            parse_request_input(request_input(**{field: value}))
        except ContractSchemaError as refused:
            return any(problem.field == field for problem in refused.problems)
        return False
    try:
        Contract.model_validate(_contract_with(field, value))
    except Exception as exc:  # pydantic ValidationError
        return field in str(exc)
    return False


@pytest.mark.parametrize(
    ("model", "field", "pattern"), SCHEMA_CASES, ids=[f"{m.__name__}.{f}" for m, f, _ in SCHEMA_CASES]
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_model_fields_take_the_whole_value_in_ascii(model, field, pattern, data):
    value = data.draw(examples(pattern))
    assert not _model_refuses(model, field, value), value
    for attack in attacks(value):
        assert _model_refuses(model, field, attack), repr(attack)


@pytest.mark.parametrize(("name", "pattern"), MODULE_CASES, ids=[name for name, _ in MODULE_CASES])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_module_patterns_take_the_whole_value_in_ascii(name, pattern, data):
    value = data.draw(examples(pattern))
    assert full_match(pattern, value)
    for attack in attacks(value):
        assert not full_match(pattern, attack), repr(attack)


def test_no_module_matches_with_re_directly():
    """A pattern matched with ``re.match``/``search``/``compile`` would escape the checks above."""
    offenders = []
    for package_name in PACKAGES:
        for path in (PROJECT_ROOT / package_name).rglob("*.py"):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in DIRECT_RE_ALLOWED or "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "re"
                    and node.attr in {"compile", "match", "search", "fullmatch", "findall", "finditer"}
                ):
                    offenders.append(f"{relative}:{node.lineno} re.{node.attr}")
    assert offenders == []


def test_a_contract_id_with_non_ascii_digits_is_refused():
    with pytest.raises(ContractSchemaError, match="id"):
        load_contract_yaml(SEED_CONTRACT.replace("id: S3-0001", "id: S3-٠١٠٠"))


def test_request_ids_parse_only_in_ascii():
    from requests_app.ids import parse_request_id

    assert parse_request_id("S3-0100") == 100
    for bad in ("S3-٠١٠٠", "S3-0100\n", "S3-０１００"):
        with pytest.raises(ValueError):
            parse_request_id(bad)
