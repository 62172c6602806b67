"""Every JSON body the portal reads goes through here: parsed, then refused if nested too deep or if it
is not Unicode text.

Python's ``json`` recurses once per nesting level, so ``"[" * 100000`` raised ``RecursionError``
(a 500) and a document nested a few hundred levels deep passed the parser only to exhaust the
stack later (validation, serialisation). No request document of the portal nests anywhere near
:data:`MAX_JSON_DEPTH`; deeper input is bad input (a 400 with a clear message).

JSON's ``\\u`` escapes can also spell a lone surrogate (``"\\ud800"``), which Python's parser returns as
is and which no UTF-8 text can hold: the submission's input hash, the SNS signature's canonical text and
the response failed on it with a 500. I-JSON (RFC 7493) forbids them; they are refused like bad JSON.

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


class JsonNotUnicode(ValueError):
    def __init__(self):
        super().__init__("JSON text holds an unpaired surrogate escape (such as \\ud800): not Unicode text")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a string of ``value`` (a key or a value, at any depth) holds an unpaired surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def check_document(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` itself, or :class:`JsonTooDeep` / :class:`JsonNotUnicode` (both ``ValueError``)."""
    check_depth(value, limit)
    if has_lone_surrogate(value):
        raise JsonNotUnicode()
    return value


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` itself, or :class:`JsonTooDeep` if it nests more than ``limit`` levels."""
    if nesting_depth(value, limit) > limit:
        raise JsonTooDeep(limit)
    return value


def loads(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses (``ValueError``) documents nested more than ``limit`` levels or holding
    a lone surrogate."""
    try:
        value = json.loads(text)
    except RecursionError as exc:  # deeper than the interpreter's stack: certainly too deep
        raise JsonTooDeep(limit) from exc
    return check_document(value, limit)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with :func:`check_document`: too deep or not Unicode is a ``ParseError`` (400)
    like bad JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return check_document(super().parse(stream, media_type, parser_context))
        except (RecursionError, JsonTooDeep) as exc:
            raise ParseError(f"JSON parse error - {JsonTooDeep()}") from exc
        except JsonNotUnicode as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
