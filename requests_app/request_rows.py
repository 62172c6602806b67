"""How an evaluated contract becomes a ``BucketRequest`` row: the columns read from the contract, the stored
document and its hash. Submissions, imports of existing contracts and the test factories all use these, so a
new column or a renamed contract field changes here only."""

import hashlib
import json
from typing import Any

from core.models import Team
from requests_app.contract import Contract


def canonical_hash(data: Any) -> str:
    """SHA-256 of a JSON document with sorted keys: equal documents, equal hashes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def contract_document(contract: Contract) -> dict:
    """The contract as stored on the row (JSON, camelCase aliases, unset fields left out)."""
    return contract.model_dump(mode="json", by_alias=True, exclude_none=True)


def contract_columns(contract: Contract, owner: Team) -> dict:
    """The row's columns that repeat the contract (for lists, filters and unique names)."""
    return {
        "environment": contract.environment.value,
        "application": contract.application,
        "purpose": contract.spec.purpose.type.value,
        "bucket_name": contract.spec.bucket_name,
        "owner": owner,
        "requester": contract.requester,
    }
