"""Reading contracts and inputs: YAML parse errors with line/column, schema errors as `Problem`s."""

import difflib
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .goldenpath import normalise
from .models import Contract, RequestInput
from .problems import Problem, Severity, format_path
from .stand_ins import field_at, judged_around


class ContractParseError(ValueError):
    """The text is not a YAML mapping; `line`/`column` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.reason = message
        self.line = line
        self.column = column


class ContractSchemaError(ValueError):
    """The document parsed but does not have the contract's shape; `problems` says where and how to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


# Bounds on a contract file, checked before the document is built (docs/decisions/contract-input-bounds.md).
# A contract is a few dozen nodes a handful of levels deep; these leave room and stop YAML bombs.
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 10_000  # nodes of the document with every alias expanded


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, and documents too deep or too large once aliases expand.

    The bounds are checked while the parser composes nodes, before any Python object exists:
    an alias is counted with the full size of what it names, so a "billion laughs" document is
    refused after a few thousand nodes instead of growing without limit when consumers walk it.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._expanded_size: dict[int, int] = {}

    def compose_node(self, parent, index):
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise ContractParseError(
                f"the document nests more than {MAX_YAML_DEPTH} levels deep", mark.line + 1, mark.column + 1
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._expanded_size:
            self._expanded_size[id(node)] = self._size_of(node)
        return node

    def _size_of(self, node) -> int:
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        size = 1 + sum(self._expanded_size.get(id(child), 1) for child in children)
        if size > MAX_YAML_NODES:
            mark = node.start_mark
            raise ContractParseError(
                f"the document has more than {MAX_YAML_NODES} values once its aliases are expanded",
                mark.line + 1,
                mark.column + 1,
            )
        return size

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise ContractParseError(f"duplicate key '{key}'", mark.line + 1, mark.column + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)


def refuse_oversized(size: int) -> None:
    """A contract file of ``size`` bytes is refused when larger than :data:`MAX_YAML_BYTES`."""
    if size > MAX_YAML_BYTES:
        raise ContractParseError(
            f"the file is larger than {MAX_YAML_BYTES // 1024} KiB; a contract is a few KiB"
        )


def parse_yaml_mapping(text: str) -> dict:
    refuse_oversized(len(text.encode("utf-8", errors="replace")))
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContractParseError(
            str(exc.problem or exc.context or "invalid YAML"),
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise ContractParseError(f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ContractParseError("a contract must be a YAML mapping (apiVersion, kind, id, ...)", 1, 1)
    return data


def load_contract_yaml(text: str) -> Contract:
    """Parse and shape-check a contract file; raises `ContractParseError` or `ContractSchemaError`."""
    return load_contract(parse_yaml_mapping(text))


def load_contract(data: Mapping[str, Any]) -> Contract:
    """A document in our own vocabulary (e.g. one the portal stored); anything else is refused."""
    try:
        return Contract.model_validate(data)
    except ValidationError as exc:
        raise ContractSchemaError(problems_from_validation_error(exc)) from exc


def read_contract(
    data: Mapping[str, Any], rules: Callable[[Contract], list[Problem]] | None = None
) -> tuple[Contract | None, list[Problem]]:
    """A contract file as written (ours or GoldenPath's vocabulary): the contract, or None, and the problems.

    GoldenPath's spellings are normalised first (each a warning); unknown fields are taken out and
    reported, and the rest is still read, so the guardrails can judge it in the same pass. With
    ``rules``, a document the model refuses still gets the problems ``rules`` find on its other values
    (``stand_ins.judged_around``); a valid one is the caller's to judge.
    """
    normalised, problems = normalise(data)
    known, unknown = split_unknown_fields(normalised, Contract)
    try:
        return Contract.model_validate(known), problems + unknown
    except ValidationError as exc:
        refused = problems_from_validation_error(exc, model=Contract)
        around = (
            judged_around(known, Contract, [item["loc"] for item in exc.errors()], rules) if rules else []
        )
        return None, problems + unknown + refused + [p for p in around if not _under_any(p.path, refused)]


def _under_any(path: str, refused: list[Problem]) -> bool:
    """``path`` is a refused value's, or inside one (a rule's word on a stand-in)."""
    return any(path == p.path or path.startswith((p.path + ".", p.path + "[")) for p in refused)


def split_unknown_fields(
    data: Mapping[str, Any], model: type[BaseModel], path: str = ""
) -> tuple[dict, list[Problem]]:
    """``data`` without the keys ``model`` (and its nested models) do not define, and a problem for each.

    Models that allow extra keys (metadata) keep them. A near miss names the field probably meant.
    """
    if model.model_config.get("extra") != "forbid":
        return dict(data), []
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    fields.update({name: info for name, info in model.model_fields.items()})
    known, problems = {}, []
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        info = fields.get(key)
        if info is None:
            problems.append(_unknown_field(where, str(key), [alias for alias in fields if alias != key]))
            continue
        nested, many = _nested_model(info.annotation)
        if nested is not None and many and isinstance(value, list):
            value = [
                _split_item(item, nested, f"{where}[{index}]", problems) for index, item in enumerate(value)
            ]
        elif nested is not None and isinstance(value, Mapping):
            value = _split_item(value, nested, where, problems)
        known[key] = value
    return known, problems


def _split_item(value: Any, model: type[BaseModel], path: str, problems: list[Problem]) -> Any:
    if not isinstance(value, Mapping):
        return value
    known, unknown = split_unknown_fields(value, model, path)
    problems += unknown
    return known


def _unknown_field(path: str, key: str, choices: list[str]) -> Problem:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.75)
    hint = f" Did you mean {close[0]}?" if close else ""
    return Problem(
        path=path,
        message=f"Unknown field; remove it or check its spelling.{hint}",
        severity=Severity.ERROR,
        code="schema.extra_forbidden",
    )


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally or as a list of them) and whether it is a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _nested_model(args[0])
    if origin is list and len(args) == 1:
        model, _ = _nested_model(args[0])
        return model, model is not None
    return None, False


def parse_request_input(data: Mapping[str, Any]) -> RequestInput:
    """The request input; raises `ContractSchemaError` whose problems name each input field at fault."""
    try:
        return RequestInput.model_validate(data)
    except ValidationError as exc:
        raise ContractSchemaError(
            problems_from_validation_error(exc, field_names=True, model=RequestInput)
        ) from exc


def problems_from_validation_error(
    exc: ValidationError, field_names: bool = False, model: type[BaseModel] | None = None
) -> list[Problem]:
    """pydantic errors in the guardrail shape; with `field_names`, each names its top-level input field.

    With ``model``, a value of the wrong form is explained by the field's own description
    (what a person can act on) instead of the regular expression it failed, and a value of the
    wrong type by the field's bounds or example.
    """
    problems = []
    for item in exc.errors(include_url=False):
        path = format_path(item["loc"])
        top_level = str(item["loc"][0]) if item["loc"] else ""
        field = top_level if field_names and top_level else None
        info = field_at(model, item["loc"]) if model else None
        message = _fix_message(item, info)
        problems.append(
            Problem(
                path=path,
                message=message,
                severity=Severity.ERROR,
                code=f"schema.{item['type']}",
                field=field,
            )
        )
    return problems


# A value of the wrong type: what it is not, and how to write one (the field's bounds or example are added).
_WRONG_TYPE = {
    "int_parsing": ("Not a number", "write a whole number"),
    "int_type": ("Not a number", "write a whole number"),
    "int_from_float": ("Not a whole number", "write a whole number"),
    "bool_parsing": ("Not yes or no", "write true or false"),
    "bool_type": ("Not yes or no", "write true or false"),
    "string_type": ("Not text", "write text"),
    "list_type": ("Not a list", "write a list"),
    "dict_type": ("Not a set of names and values", "write an object of names and text values"),
}


def _fix_message(item: dict, field: FieldInfo | None = None) -> str:
    """pydantic's error in plain words: what is wrong, the limit, and the value given."""
    kind = item["type"]
    context = item.get("ctx") or {}
    given = item.get("input")
    if kind == "string_pattern_mismatch" and field is not None and field.description:
        return f"'{given}' is not valid here. {field.description}"
    if kind in _WRONG_TYPE:
        what, how = _WRONG_TYPE[kind]
        return f"{what}: {_shown(given)}; {how}{_how_written(kind, field)}."
    if kind == "missing":
        return "This field is required; add it."
    if kind == "extra_forbidden":
        return "Unknown field; remove it or check its spelling."
    if kind in ("enum", "literal_error"):
        return f"Not one of the choices: {_shown(given)}; use one of: {context.get('expected', '')}."
    if kind == "string_pattern_mismatch":
        return f"'{given}' does not have the required form ({context.get('pattern')})."
    limits = {
        "greater_than_equal": ("is too small", "use {ge} or more"),
        "greater_than": ("is too small", "use more than {gt}"),
        "less_than_equal": ("is too large", "the most allowed is {le}"),
        "less_than": ("is too large", "use less than {lt}"),
    }
    if kind in limits:
        problem, limit = limits[kind]
        return f"{given} {problem}: {limit.format(**context)}."
    if kind == "string_too_short":
        return (
            f"Too short: {_characters(len(str(given or '')))}; write at least "
            f"{_characters(context.get('min_length'))}."
        )
    if kind == "string_too_long":
        return f"Too long: {_characters(len(str(given or '')))}; the most allowed is {context.get('max_length')}."
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = context.get("min_length" if kind == "too_short" else "max_length")
        return f"{context.get('actual_length')} given; {bound} {limit} allowed."
    return f"{item['msg']}; correct the value."


def _how_written(kind: str, field: FieldInfo | None) -> str:
    """The field's bounds (numbers) or its example (lists, objects), as the end of a sentence."""
    if field is None:
        return ""
    if kind.startswith("int"):
        bounds = {type(rule).__name__: rule for rule in field.metadata}
        if "Ge" in bounds and "Le" in bounds:
            return f" between {bounds['Ge'].ge} and {bounds['Le'].le}"
    if kind in ("list_type", "dict_type") and field.examples:
        return f", e.g. {json.dumps(field.examples[0])}"
    return ""


def _shown(value: Any, limit: int = 40) -> str:
    """A value as the person wrote it, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _characters(count) -> str:
    return f"{count} character{'' if count == 1 else 's'}"
