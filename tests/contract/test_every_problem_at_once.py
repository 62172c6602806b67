"""A value of the wrong type does not hide the rules' problems on the other fields (issue 19): the rules judge
the rest with stand-ins for the bad fields, and keep only what holds whatever those fields will hold."""

from requests_app.contract import PlatformPolicy, Problem, evaluate_request
from tests.contract.cases import KNOWN_TEAMS, request_input

POLICY = PlatformPolicy()


def problems_by_field(raw, **options) -> dict[str, list[str]]:
    evaluation = evaluate_request(raw, POLICY, known_teams=KNOWN_TEAMS, **options)
    assert not evaluation.is_valid and evaluation.built is None
    found: dict[str, list[str]] = {}
    for problem in evaluation.problems:
        found.setdefault(problem.field, []).append(problem.code)
    return found


def test_a_type_error_comes_with_the_guardrail_and_lifecycle_problems_of_the_other_fields():
    raw = request_input(
        costAlertGb="abc",
        application="a" * 40,
        environment="prod",
        corsEnabled=True,
        corsAllowedOrigins=["*"],
        storageClass="glacier",
        retentionType="time-bounded",
        expirationDays=30,
        owner="ghost-team",
    )
    assert problems_by_field(raw) == {
        "costAlertGb": ["schema.int_parsing"],
        "application": ["schema.string_too_long"],
        "owner": ["owner.unknown-team"],
        "expirationDays": ["lifecycle.expiration-before-transition"],
        "corsAllowedOrigins": ["cors.wildcard"],
    }


def test_nothing_is_said_that_depends_on_the_value_a_bad_field_will_have():
    # Whether day 30 comes before the transition depends on the transition day, which is not a number;
    # whether a wildcard origin is allowed depends on the environment, which is not one of the four.
    raw = request_input(
        transitionDays="soon",
        storageClass="glacier",
        retentionType="time-bounded",
        expirationDays=30,
        environment="qa",
        corsEnabled=True,
        corsAllowedOrigins=["*"],
        retentionRationale="short",
    )
    assert problems_by_field(raw) == {
        "transitionDays": ["schema.int_parsing"],
        "environment": ["schema.enum"],
        "retentionRationale": ["schema.string_too_short"],
    }


def test_a_field_an_edge_could_not_read_is_reported_once_and_not_as_missing():
    unreadable = Problem("tags", "Line 1: write key=value.", code="form", field="tags")
    raw = {key: value for key, value in request_input(costAlertGb=0).items()}
    found = problems_by_field(raw, unreadable=[unreadable])
    assert found == {"tags": ["form"], "costAlertGb": ["schema.greater_than_equal"]}
    missing = {key: value for key, value in raw.items() if key != "purposeType"}
    assert problems_by_field(missing, unreadable=[unreadable])["purposeType"] == ["schema.missing"]


def test_a_contract_file_with_a_value_of_the_wrong_type_still_gets_the_guardrails_verdict(tmp_path):
    import yaml

    from requests_app.contract.cli import check_file
    from tests.contract.cases import SEED_CONTRACT

    document = yaml.safe_load(SEED_CONTRACT)
    document["environment"] = "prod"  # its name and its encryption are now wrong
    document["spec"]["costAlertGb"] = "lots"
    document["spec"]["lifecycle"] = {"transitions": [{"days": "x", "storageClass": "glacier"}]}
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(document))

    report = check_file(str(path), POLICY, KNOWN_TEAMS)
    found = {problem.path: problem.code for problem in report.problems}
    assert report.contract is None and report.status == "invalid"
    assert found["spec.costAlertGb"] == "schema.int_parsing"
    assert found["spec.lifecycle.transitions[0].days"] == "schema.int_parsing"
    assert found["spec.bucketName"] == "bucket-name.not-derived"
    assert found["spec.encryption.type"] == "encryption.kms-required"
    words = {problem.path: problem.message for problem in report.problems}
    assert (
        words["spec.lifecycle.transitions[0].days"]
        == "Not a number: 'x'; write a whole number between 0 and 36500."
    )


def test_what_a_refused_input_still_shows_reads_only_the_fields_it_names():
    """DERIVED_FROM's sets hold: each stand-in value of every other field, in every environment, purpose
    and public access, leaves the bucket name and the approval decision as they were. A rule that comes to
    read another field fails here until that field is added to its set."""
    from itertools import product

    from requests_app.contract.evaluation import DERIVED_FROM, INPUT_MODEL_FIELDS
    from requests_app.contract.stand_ins import stand_ins

    derived = {
        "name_around_refused": lambda evaluation: evaluation.bucket_name,
        "approval": lambda evaluation: evaluation.approval,
    }
    assert set(derived) == set(DERIVED_FROM)
    for environment, purpose, access in product(
        stand_ins(INPUT_MODEL_FIELDS["environment"]),
        stand_ins(INPUT_MODEL_FIELDS["purposeType"]),
        stand_ins(INPUT_MODEL_FIELDS["publicAccess"]),
    ):
        base_raw = request_input(environment=environment, purposeType=purpose, publicAccess=access)
        base = evaluate_request(base_raw, POLICY)
        if base.built is None:
            continue
        for name, info in INPUT_MODEL_FIELDS.items():
            for value in stand_ins(info):
                changed = evaluate_request({**base_raw, name: value}, POLICY)
                if changed.built is None:  # the value is refused in this combination: nothing to compare
                    continue
                for key, read in derived.items():
                    if name not in DERIVED_FROM[key]:
                        assert read(changed) == read(base), (key, name, value, environment, purpose, access)
