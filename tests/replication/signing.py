"""A signing authority the tests own: an RSA key, a self-signed certificate, and SNS deliveries
signed with them exactly as AWS documents (SignatureVersion 1 and 2).

The portal's certificate *fetcher* is the one thing replaced in these tests: it serves this
certificate for the URL the deliveries name. URL validation and signature checks stay real.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from replication.sns import CertificateFetchError, string_to_sign

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:bucketwise-replication-failures"
OTHER_TOPIC_ARN = "arn:aws:sns:eu-west-1:999999999999:someone-elses-topic"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SigningAuthority:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        self.certificate_pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        """Stands in for the HTTPS fetch: serves our certificate for CERT_URL only."""
        self.fetched.append(url)
        if url != CERT_URL:
            raise CertificateFetchError(f"no certificate at {url}")
        return self.certificate_pem

    def sign(self, envelope: dict, version: str = "2") -> dict:
        envelope = {**envelope, "SignatureVersion": version}
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(string_to_sign(envelope), padding.PKCS1v15(), digest)
        envelope["Signature"] = base64.b64encode(signature).decode()
        return envelope

    def notification(
        self,
        message: str,
        *,
        topic_arn=TOPIC_ARN,
        version="2",
        subject=None,
        timestamp=None,
        message_id=None,
        attributes=None,
        cert_url=CERT_URL,
    ) -> dict:
        envelope = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": message,
            "Timestamp": iso(timestamp or datetime.now(UTC)),
            "SigningCertURL": cert_url,
            "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
        }
        if subject is not None:
            envelope["Subject"] = subject
        if attributes:
            envelope["MessageAttributes"] = {k: {"Type": "String", "Value": v} for k, v in attributes.items()}
        return self.sign(envelope, version)

    def confirmation(self, kind="SubscriptionConfirmation", *, topic_arn=TOPIC_ARN, version="2") -> dict:
        envelope = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "Token": "token-" + uuid.uuid4().hex,
            "TopicArn": topic_arn,
            "Message": f"You have chosen to subscribe to the topic {topic_arn}.",
            "SubscribeURL": f"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic_arn}",
            "Timestamp": iso(datetime.now(UTC)),
            "SigningCertURL": CERT_URL,
        }
        return self.sign(envelope, version)


def body(envelope: dict) -> bytes:
    return json.dumps(envelope).encode()
