"""The REPLICA_MAP configuration: primary bucket name -> {"bucket": replica, "region": replica region}."""

from __future__ import annotations

import json
from dataclasses import dataclass


class ReplicaMapError(ValueError):
    """REPLICA_MAP is missing or malformed; the function cannot work without it."""


@dataclass(frozen=True)
class ReplicaTarget:
    bucket: str
    region: str


@dataclass(frozen=True)
class ReplicaMap:
    targets: dict[str, ReplicaTarget]

    def target_for(self, primary_bucket: str) -> ReplicaTarget | None:
        return self.targets.get(primary_bucket)

    def is_replica_bucket(self, bucket: str) -> bool:
        return any(target.bucket == bucket for target in self.targets.values())


def parse_replica_map(raw: str | None) -> ReplicaMap:
    """Parse the JSON text of REPLICA_MAP, naming exactly what is wrong when it is bad."""
    if not raw:
        raise ReplicaMapError("REPLICA_MAP is not set")
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ReplicaMapError(f"REPLICA_MAP is not JSON: {exc}") from exc
    if not isinstance(document, dict) or not document:
        raise ReplicaMapError("REPLICA_MAP must be a non-empty JSON object")
    targets = {}
    for primary, entry in document.items():
        if not isinstance(entry, dict) or set(entry) != {"bucket", "region"}:
            raise ReplicaMapError(f'REPLICA_MAP["{primary}"] must be {{"bucket": ..., "region": ...}}')
        if not all(isinstance(entry[field], str) and entry[field] for field in ("bucket", "region")):
            raise ReplicaMapError(f'REPLICA_MAP["{primary}"] bucket and region must be non-empty strings')
        if entry["bucket"] == primary:
            raise ReplicaMapError(f'REPLICA_MAP["{primary}"] names the primary as its own replica')
        targets[primary] = ReplicaTarget(bucket=entry["bucket"], region=entry["region"])
    return ReplicaMap(targets)
