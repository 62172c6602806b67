"""The one AWS call of the health app: confirming an SNS subscription for an allowed topic."""

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings


class ConfirmationFailed(Exception):
    pass


def confirm_subscription(topic_arn: str, token: str) -> None:
    """``sns:ConfirmSubscription`` in the topic's region (never a GET of the SubscribeURL)."""
    region = topic_arn.split(":")[3]
    client = boto3.client("sns", region_name=region, endpoint_url=settings.AWS_ENDPOINT_URL or None)
    try:
        client.confirm_subscription(TopicArn=topic_arn, Token=token)
    except (BotoCoreError, ClientError) as exc:
        raise ConfirmationFailed(str(exc)) from exc
