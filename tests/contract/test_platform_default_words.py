"""A clash with a transition the platform added is explained as the platform's default, not blamed on the
requester; a transition day the requester chose keeps the plain rule."""

from requests_app.contract import evaluate_request
from requests_app.platform_policy import current_policy
from tests.contract.cases import KNOWN_TEAMS, request_input

SHORT_LIVED = {
    "storageClass": "standard-ia",
    "retentionType": "time-bounded",
    "expirationDays": 30,
    "retentionRationale": "Thirty days is enough for these files",
}


def messages(**overrides) -> list[str]:
    evaluation = evaluate_request(
        request_input(**{**SHORT_LIVED, **overrides}), current_policy(), known_teams=list(KNOWN_TEAMS)
    )
    return [p.message for p in evaluation.problems if p.code == "lifecycle.expiration-before-transition"]


def test_the_platforms_default_transition_is_named_as_the_platforms():
    [message] = messages(purposeType="logs")
    assert message.startswith(
        "Objects expire on day 30, but the platform's default moves them to standard-ia on "
        "day 30 (logs buckets move to standard-ia then)."
    )
    assert "Expire on day 31 or later" in message and "drop the transition" not in message


def test_a_transition_day_the_requester_chose_keeps_the_rule_as_it_is():
    [message] = messages(purposeType="logs", transitionDays=40, expirationDays=35)
    assert message.startswith("Objects expire on day 35 but transition to standard-ia on day 40")
