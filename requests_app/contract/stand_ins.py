"""Judging a document around the values its model refused: every rule's problem that holds whatever they
will hold (issue 19: every problem at once, not the type errors first and the rules on the next try).

Each refused value is replaced by stand-ins read from its model field: its default (or example) first,
then each choice, truth value or bound it may take. The rules judge the document with the first stand-in
of every refused value, then once per other stand-in of each; a problem is kept only when every trial
gives it. So nothing is said that depends on what a refused value will be (whether day 30 comes before
a transition whose day is not a number), and nothing is said about a stand-in itself.
"""

import copy
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .problems import Problem

Location = tuple  # a pydantic error location: keys and list indexes

STRING_STAND_INS = ("stand-in-a", "stand-in-b")  # two, so a rule that quotes the value never agrees


def judged_around(
    document: Mapping[str, Any],
    model: type[BaseModel],
    refused: Sequence[Location],
    judge: Callable[[BaseModel], list[Problem]],
) -> list[Problem]:
    """The problems ``judge`` finds in ``document`` whatever its ``refused`` values will be (their own
    problems excepted: the caller has them); none when a refused value has no stand-in (a whole missing
    section)."""
    trials = _trials(document, model, refused)
    if not trials:
        return []
    try:
        outcomes = [judge(trial) for trial in trials]
    except ValidationError:  # a contract built around a stand-in that does not validate: nothing is said
        return []
    common = set(outcomes[0]).intersection(*outcomes[1:])
    return [problem for problem in outcomes[0] if problem in common]


def with_first_stand_ins(
    document: Mapping[str, Any], model: type[BaseModel], refused: Sequence[Location]
) -> BaseModel | None:
    """``document`` read by ``model`` with each refused value replaced by its first stand-in (None when one
    has none). What is derived from it holds whatever the refused values will be only if it reads none of
    them: the caller knows what its derivation reads (contract.evaluation.DERIVED_FROM)."""
    trials = _trials(document, model, refused, first_only=True)
    return trials[0] if trials else None


def _trials(
    document: Mapping[str, Any],
    model: type[BaseModel],
    refused: Sequence[Location],
    *,
    first_only: bool = False,
) -> list[BaseModel]:
    """The document with the first stand-in of every refused value, then once per other stand-in of each
    (read by ``model``); empty when a refused value has no stand-in."""
    slots = {}
    for location in refused:
        slot = _slot_at(model, location)
        if slot is None:
            return []
        where, info = slot
        values = stand_ins(info)
        if not values:
            return []
        slots[where] = values
    base = copy.deepcopy(dict(document))
    for where, values in slots.items():
        _put(base, where, values[0])
    trials = [base]
    for where, values in slots.items():
        for value in [] if first_only else values[1:]:
            trial = copy.deepcopy(base)
            _put(trial, where, value)
            trials.append(trial)
    try:
        return [model.model_validate(trial) for trial in trials]
    except ValidationError:  # a value written under another spelling than its location's
        return []


def stand_ins(info: FieldInfo) -> list[Any]:
    """Valid values for a field: its default (or example) first, then the ones that change how rules judge
    the rest (choices, truth values, bounds, empty); empty when it has none (a required section)."""
    values = []
    if not info.is_required():
        values.append(info.get_default(call_default_factory=True))
    elif info.examples:
        values.append(info.examples[0])
    union = typing.get_origin(info.annotation) in (typing.Union, types.UnionType)
    for option in typing.get_args(info.annotation) if union else (info.annotation,):
        if isinstance(option, type) and issubclass(option, Enum):
            values += list(option)
        elif option is bool:
            values += [True, False]
        elif option is int:
            bounds = {type(rule).__name__: rule for rule in info.metadata}
            values += [bounds["Ge"].ge if "Ge" in bounds else 0, bounds["Le"].le if "Le" in bounds else 1]
        elif option is str and info.is_required() and not info.examples:
            values += list(STRING_STAND_INS)
        elif option is type(None):
            values.append(None)
    return values


def field_at(model: type[BaseModel], location: Location) -> FieldInfo | None:
    """The model field at exactly ``location`` (through nested models and lists of them), or None."""
    slot = _slot_at(model, location)
    return slot[1] if slot and slot[0] == tuple(location) else None


def _slot_at(model: type[BaseModel], location: Location) -> tuple[Location, FieldInfo] | None:
    """The deepest model field along ``location`` (its location cut there) and its info, or None."""
    found = None
    current: Any = model
    for depth, part in enumerate(location):
        if isinstance(part, int):
            continue  # an item of a list of models: the next part names the item's field
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            break  # inside a dict or list of plain values: the field above holds it
        info = fields_by_alias(current).get(part)
        if info is None:
            break
        found = (tuple(location[: depth + 1]), info)
        current = _inner_model(info.annotation)
    return found


def fields_by_alias(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the name documents use (the camelCase alias)."""
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _inner_model(annotation: Any) -> Any:
    """The model a field holds (directly, optionally, or as list items), else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        inner = _inner_model(argument)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _put(document: dict, location: Location, value: Any) -> None:
    target = document
    for part in location[:-1]:
        target = target[part]
    target[location[-1]] = value
