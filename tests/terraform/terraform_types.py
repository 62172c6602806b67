"""Terraform type constraints (as python-hcl2 returns them) and a check that a JSON value fits one.

Strict on purpose: a rendered tfvars value must already have the declared type, so the check
does not allow the conversions Terraform would make (a number for a string, extra object keys).
"""

import re

TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|[(){}\[\]=,])")
PRIMITIVES = {"string", "number", "bool", "any"}
COLLECTIONS = {"list", "set", "map"}


def parse_type(text: str):
    """Parse e.g. ``list(object({days = number}))`` into nested tuples:
    ("string",), ("list", elem), ("object", {name: type}), ("tuple", [types])."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    tokens = _tokenize(text)
    parsed = _parse(tokens)
    if tokens:
        raise ValueError(f"unexpected {tokens[0]!r} in type {text!r}")
    return parsed


def _tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read type {text!r} at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _expect(tokens: list[str], token: str) -> None:
    if not tokens or tokens.pop(0) != token:
        raise ValueError(f"expected {token!r}")


def _parse(tokens: list[str]):
    name = tokens.pop(0)
    if name in PRIMITIVES:
        return (name,)
    _expect(tokens, "(")
    if name in COLLECTIONS:
        result = (name, _parse(tokens))
    elif name == "object":
        result = ("object", _parse_attributes(tokens))
    elif name == "tuple":
        result = ("tuple", _parse_elements(tokens))
    else:
        raise ValueError(f"unknown type constructor {name!r}")
    _expect(tokens, ")")
    return result


def _parse_attributes(tokens: list[str]) -> dict:
    _expect(tokens, "{")
    attributes = {}
    while tokens[0] != "}":
        attribute = tokens.pop(0)
        _expect(tokens, "=")
        attributes[attribute] = _parse(tokens)
        if tokens[0] == ",":
            tokens.pop(0)
    _expect(tokens, "}")
    return attributes


def _parse_elements(tokens: list[str]) -> list:
    _expect(tokens, "[")
    elements = []
    while tokens[0] != "]":
        elements.append(_parse(tokens))
        if tokens[0] == ",":
            tokens.pop(0)
    _expect(tokens, "]")
    return elements


def type_errors(value, constraint, path: str = "value") -> list[str]:
    """Every place where ``value`` (decoded JSON, None = null) does not fit ``constraint``."""
    kind = constraint[0]
    if value is None or kind == "any":
        return []
    checks = {
        "string": lambda: isinstance(value, str),
        "number": lambda: isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": lambda: isinstance(value, bool),
    }
    if kind in checks:
        return [] if checks[kind]() else [f"{path}: {value!r} is not a {kind}"]
    if kind in ("list", "set"):
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a {kind}"]
        return [e for i, item in enumerate(value) for e in type_errors(item, constraint[1], f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not a map"]
        return [e for key, item in value.items() for e in type_errors(item, constraint[1], f"{path}.{key}")]
    if kind == "object":
        if not isinstance(value, dict) or set(value) != set(constraint[1]):
            return [f"{path}: {value!r} does not have exactly the attributes {sorted(constraint[1])}"]
        return [
            e for key, item in value.items() for e in type_errors(item, constraint[1][key], f"{path}.{key}")
        ]
    if not isinstance(value, list) or len(value) != len(constraint[1]):
        return [f"{path}: {value!r} is not a tuple of {len(constraint[1])}"]
    return [
        e
        for i, (item, t) in enumerate(zip(value, constraint[1], strict=True))
        for e in type_errors(item, t, f"{path}[{i}]")
    ]
