"""The audit chain's keys: one signs new entries and checkpoints, retired ones still verify.

Keys come from settings (the environment), never from the database: whoever can write the
database but does not hold the key cannot make an edited or recomputed chain verify
(docs/decisions/audit-keyed-chain.md).
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ChainKey:
    key_id: str
    secret: bytes = b""

    def mac(self, payload: bytes) -> str:
        """HMAC-SHA256 of ``payload`` under this key, as hex."""
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def __repr__(self):  # the secret never lands in a log or a traceback
        return f"ChainKey({self.key_id!r})"


def signing_key() -> ChainKey:
    """The key new entries and checkpoints are signed with."""
    return ChainKey(settings.AUDIT_CHAIN_KEY_ID, settings.AUDIT_CHAIN_KEY.encode("utf-8"))


def verification_keys() -> dict[str, ChainKey]:
    """Every key the trail may have been signed with, by id (the signing key and the retired ones)."""
    keys = {
        key_id: ChainKey(key_id, secret.encode("utf-8"))
        for key_id, secret in settings.AUDIT_CHAIN_RETIRED_KEYS.items()
    }
    current = signing_key()
    keys[current.key_id] = current
    return keys
