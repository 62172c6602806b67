"""Valid request inputs in the Backstage field names, shared with other suites (e.g. the Terraform stack's).

Together they cover every environment, purpose, storage class and retention type, CORS on and off, and a
public-access exception. Every case validates without errors for KNOWN_TEAMS under the default policy.
"""

from pathlib import Path

KNOWN_TEAMS = ("app-team", "data-team", "web-team")


def request_input(**overrides) -> dict:
    """A valid dev uploads request, changed by `overrides` (Backstage field names)."""
    base = {
        "application": "payments-api",
        "purposeType": "uploads",
        "purposeDescription": "User file uploads for payment receipts",
        "owner": "app-team",
        "requester": "daniel-deans",
        "environment": "dev",
        "costCenter": "payments-123",
        "costAlertGb": 100,
        "storageClass": "standard",
        "versioning": True,
        "corsEnabled": False,
        "retentionType": "indefinite",
        "retentionRationale": "User data retained for account lifetime",
        "publicAccess": "blocked",
    }
    return {**base, **overrides}


VALID_CASES = [
    request_input(),
    request_input(
        environment="test",
        purposeType="logs",
        storageClass=None,
        versioning=None,
        retentionType="time-bounded",
        retentionRationale="Logs are needed for 90 days of debugging",
    ),
    request_input(
        environment="staging",
        purposeType="backups",
        storageClass=None,
        versioning=None,
        retentionType="compliance-driven",
        expirationDays=2555,
        retentionRationale="Seven years of backups for the finance audit",
    ),
    request_input(
        environment="prod",
        application="analytics",
        owner="data-team",
        purposeType="data-lake",
        storageClass="intelligent-tiering",
        versioning=False,
        costAlertGb=10000,
        retentionType="indefinite",
        tags={"dataClassification": "internal"},
    ),
    request_input(
        environment="prod",
        application="storefront",
        owner="web-team",
        purposeType="static-assets",
        publicAccess="exception-approved",
        corsEnabled=True,
        corsAllowedOrigins=["https://shop.example.com", "https://www.example.com:8443"],
    ),
    request_input(
        environment="dev",
        purposeType="uploads",
        storageClass="standard-ia",
        transitionDays=45,
        retentionType="time-bounded",
        expirationDays=400,
        corsEnabled=True,
        corsAllowedOrigins=["https://localhost:3000"],
    ),
    request_input(
        environment="test",
        application="ledger",
        purposeType="backups",
        storageClass="glacier",
        transitionDays=0,
        retentionType="compliance-driven",
        expirationDays=3650,
        retentionRationale="Ledger backups kept ten years by regulation",
    ),
]


# The seed's example contract, as a person writes it.
SEED_CONTRACT = """\
apiVersion: goldenpath.io/v1
kind: S3BucketRequest
id: S3-0001
environment: dev
owner: app-team
application: payments-api
requester: daniel-deans

spec:
  bucketName: goldenpath-dev-payments-api-uploads

  purpose:
    type: uploads
    description: "User file uploads for payment receipts"

  storageClass: standard

  encryption:
    type: sse-s3

  versioning: true
  publicAccess: blocked

  retentionPolicy:
    type: indefinite
    rationale: "User data retained for account lifetime"

  accessLogging:
    enabled: false

  costAlertGb: 100
  corsEnabled: false

  tags:
    costCenter: payments-123
"""


# GoldenPath's own contract files, copied verbatim (goldenpath/SOURCE.md names where from).
GOLDENPATH = Path(__file__).parent / "goldenpath"
PUBLISHED = GOLDENPATH / "S3-0001-published.yaml"
FIXTURE = GOLDENPATH / "S3-0001-fixture.yaml"
