"""One bucket name, one live request: refused at the door (preview, form, API, CLI, import) naming the holder."""

import pytest

from core import roles
from requests_app import status_machine
from requests_app.models import BucketRequest, RequestStatus
from requests_app.submission import InvalidRequest, preview, submit_request
from tests.support.common import make_user, run_command
from tests.support.requests import contract_file, form_data, prod_input, rita_input

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"
NAME = "goldenpath-prod-payments-api-uploads"


def taken(problems) -> list[dict]:
    problems = [p if isinstance(p, dict) else p.to_dict() for p in problems]
    return [p for p in problems if p["code"] == "bucket-name.taken"]


def test_the_api_refuses_a_second_request_for_a_held_name_and_names_the_holder(backstage):
    assert backstage.post(REQUESTS, prod_input(), format="json").status_code == 201

    response = backstage.post(REQUESTS, prod_input(costAlertGb=5), format="json")

    assert response.status_code == 400
    [problem] = taken(response.json()["problems"])
    assert (
        problem["path"] == "spec.bucketName"
        and "S3-0001" in problem["message"]
        and NAME in problem["message"]
    )
    assert BucketRequest.objects.count() == 1


def test_the_preview_shows_the_holder_before_anything_is_saved(backstage):
    backstage.post(REQUESTS, prod_input(), format="json")

    body = backstage.post(f"{REQUESTS}preview/", prod_input(), format="json").json()

    assert body["valid"] is False and "S3-0001" in taken(body["problems"])[0]["message"]


def test_the_form_shows_the_holder_on_the_application_field(client, team_member):
    submit_request(prod_input(), team_member)
    client.force_login(team_member)

    response = client.post("/requests/new/", form_data(environment="prod"))

    assert response.status_code == 200
    assert "is held by S3-0001" in response.context["form"].errors["application"][0]
    assert BucketRequest.objects.count() == 1


def test_someone_who_may_not_see_the_holder_is_not_told_its_id(client, team_member, teams):
    """Another team's pending request answers 404 to a requester (portal-visibility); the name check must not
    hand out its ID and status instead, on the preview, the form or the API."""
    submit_request(prod_input(), team_member)
    outsider = make_user("olga", roles.REQUESTERS)
    teams["data-team"].members.add(outsider)
    own_team = prod_input(owner="data-team", requester="olga")

    previewed = taken(preview(own_team, outsider).problems)
    with pytest.raises(InvalidRequest) as refused:
        submit_request(own_team, outsider)
    client.force_login(outsider)
    api = client.post(f"{REQUESTS}preview/", own_team, content_type="application/json").json()

    for message in (previewed[0]["message"], str(refused.value), taken(api["problems"])[0]["message"]):
        assert NAME in message and "S3-0001" not in message and "pending" not in message
    assert BucketRequest.objects.count() == 1


@pytest.mark.parametrize("ending", ["reject", "cancel"])
def test_a_rejected_or_cancelled_request_releases_its_name(team_member, ending):
    first = submit_request(prod_input(), team_member).request
    status_machine.transition(first, ending, actor="alex")

    assert preview(prod_input()).is_valid
    assert submit_request(prod_input(), team_member).request.request_id == "S3-0002"


def test_a_failed_request_keeps_its_name(team_member):
    first = submit_request(rita_input(), team_member).request  # dev: approved and queued at once
    status_machine.transition(first, "mark_failed", actor="runner")
    assert BucketRequest.objects.get(pk=first.pk).status == RequestStatus.FAILED

    with pytest.raises(InvalidRequest) as refused:
        submit_request(rita_input(), team_member)
    assert "held by S3-0001 (failed)" in str(refused.value)


def test_cli_validate_with_a_database_refuses_a_held_name_but_not_the_holders_own_file(
    teams, team_member, tmp_path
):
    submit_request(rita_input(), team_member)
    other = contract_file(tmp_path, "S3-0500")
    own = contract_file(tmp_path, "S3-0001")

    code, out, _ = run_command("s3_contract", "validate", str(other), str(own))

    assert code == 1
    assert f"{other}: INVALID" in out and "held by S3-0001" in out and f"{own}: OK" in out


def test_import_refuses_a_name_held_by_an_open_request(teams, team_member, tmp_path):
    submit_request(prod_input(), team_member)
    code, _, err = run_command(
        "s3_contract", "import", str(contract_file(tmp_path, "S3-0500", environment="prod"))
    )

    assert code == 1 and "spec.bucketName" in err and "held by S3-0001" in err
    assert BucketRequest.objects.count() == 1
