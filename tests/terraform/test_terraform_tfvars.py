"""The tfvars interface: what requests_app.contract renders fits terraform/stacks/s3-request.

Every rendered key (plus the runner's two deployment variables) must be a declared variable with a
compatible type, and every variable without a default must be given.
"""

import hcl2
import pytest

from requests_app.contract.build import build_contract
from requests_app.contract.models import RequestInput
from requests_app.contract.policy import PlatformPolicy
from requests_app.contract.render import terraform_variables
from tests.contract.cases import VALID_CASES
from tests.terraform.support import TERRAFORM_ROOT
from tests.terraform.terraform_types import parse_type, type_errors

pytestmark = pytest.mark.db_independent

STACK = TERRAFORM_ROOT / "stacks" / "s3-request"
DEPLOYMENT_VARIABLES = {"aws_region": "us-east-1", "aws_endpoint_url": "http://127.0.0.1:5000"}


def declared_variables() -> dict[str, dict]:
    """Variable name -> {"type": parsed type, "required": no default}, read with python-hcl2."""
    variables = {}
    for path in sorted(STACK.glob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get("variable", []):
                for quoted_name, body in block.items():
                    variables[quoted_name.strip('"')] = {
                        "type": parse_type(body.get("type", "any")),
                        "required": "default" not in body,
                        "nullable_default": "default" in body and body["default"] is None,
                    }
    return variables


def rendered_variables(case: dict) -> dict:
    policy = PlatformPolicy()
    built = build_contract(RequestInput.model_validate(case), "S3-0001", policy)
    return {**terraform_variables(built.contract, policy), **DEPLOYMENT_VARIABLES}


def interface_problems(rendered: dict, declared: dict) -> list[str]:
    problems = [f"{name} is not declared by the stack" for name in sorted(set(rendered) - set(declared))]
    problems += [
        f"required {name} is not rendered"
        for name, v in sorted(declared.items())
        if v["required"] and name not in rendered
    ]
    for name in sorted(set(rendered) & set(declared)):
        value, variable = rendered[name], declared[name]
        if value is None and not variable["nullable_default"]:
            problems.append(f"{name} is null but the stack does not declare default = null")
        problems += type_errors(value, variable["type"], name)
    return problems


@pytest.fixture(scope="module")
def declared():
    return declared_variables()


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda c: f"{c['environment']}-{c['purposeType']}")
def test_rendered_variables_fit_the_stack(case, declared):
    assert interface_problems(rendered_variables(case), declared) == []


def test_interface_check_reports_mismatches(declared):
    """The check above can fail: wrong types, unknown keys and missing required variables are reported."""
    rendered = rendered_variables(VALID_CASES[0])
    rendered["cost_alert_gb"] = "100"
    rendered["lifecycle_transitions"] = [{"days": 30}]
    rendered["surprise"] = 1
    rendered["owner"] = None
    del rendered["bucket_name"]

    problems = interface_problems(rendered, declared)

    assert problems == [
        "surprise is not declared by the stack",
        "required bucket_name is not rendered",
        "cost_alert_gb: '100' is not a number",
        "lifecycle_transitions[0]: {'days': 30} does not have exactly the attributes ['days', 'storage_class']",
        "owner is null but the stack does not declare default = null",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("string", ("string",)),
        ("${map(string)}", ("map", ("string",))),
        (
            "${list(object({days = number, storage_class = string}))}",
            ("list", ("object", {"days": ("number",), "storage_class": ("string",)})),
        ),
        ("tuple([bool, set(number)])", ("tuple", [("bool",), ("set", ("number",))])),
    ],
)
def test_type_constraints_parse(text, expected):
    assert parse_type(text) == expected


def test_unknown_type_constructor_is_rejected():
    with pytest.raises(ValueError, match="unknown type constructor"):
        parse_type("lisst(string)")
