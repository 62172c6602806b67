"""Every JSON body the portal reads goes through here: parsed, then refused if nested too deep.

Python's ``json`` recurses once per nesting level, so ``"[" * 100000`` raised ``RecursionError``
(a 500) and a document nested a few hundred levels deep passed the parser only to exhaust the
stack later (validation, serialisation). No request document of the portal nests anywhere near
:data:`MAX_JSON_DEPTH`; deeper input is bad input (a 400 with a clear message).

The REST API reads bodies with :class:`BoundedJSONParser` (DRF's default parser, see settings);
plain views (the SNS hook) call :func:`loads`.
"""

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


class JsonTooDeep(ValueError):
    def __init__(self, limit: int = MAX_JSON_DEPTH):
        super().__init__(f"JSON nested more than {limit} levels deep")


def nesting_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Levels of arrays/objects in ``value`` (0 for a scalar); stops counting past ``limit``.

    Iterative, so that it never recurses itself.
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` itself, or :class:`JsonTooDeep` if it nests more than ``limit`` levels."""
    if nesting_depth(value, limit) > limit:
        raise JsonTooDeep(limit)
    return value


def loads(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses (``ValueError``) documents nested more than ``limit`` levels."""
    try:
        value = json.loads(text)
    except RecursionError as exc:  # deeper than the interpreter's stack: certainly too deep
        raise JsonTooDeep(limit) from exc
    return check_depth(value, limit)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the nesting bound: too deep is a ``ParseError`` (400) like bad JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return check_depth(super().parse(stream, media_type, parser_context))
        except (RecursionError, JsonTooDeep) as exc:
            raise ParseError(f"JSON parse error - {JsonTooDeep()}") from exc
