"""Expected against live: the list of differences, one per field (tags one per key)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Difference:
    field: str
    expected: Any
    actual: Any


def _flatten_tags(values: dict) -> dict:
    flat = {key: value for key, value in values.items() if key != "tags"}
    flat.update({f"tags.{key}": value for key, value in values.get("tags", {}).items()})
    return flat


def differences(expected: dict, live: dict) -> list[Difference]:
    """Every field whose live value differs from the expected one.

    A field missing from ``live`` was not read because what it belongs to is absent (the alarm's
    threshold when there is no alarm): the absence is the finding. Tags are compared key by key,
    so an edited, removed or added tag each names its key.
    """
    want, have = _flatten_tags(expected), _flatten_tags(live)
    found = [
        Difference(name, value, have.get(name))
        for name, value in want.items()
        if (name in have or name.startswith("tags.")) and have.get(name) != value
    ]
    found += [
        Difference(name, None, value)
        for name, value in have.items()
        if name.startswith("tags.") and name not in want
    ]
    return sorted(found, key=lambda d: d.field)
