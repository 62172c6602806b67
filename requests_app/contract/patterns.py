"""How every pattern of the contract and the API is matched: the whole value, in ASCII.

Python's ``re`` lets ``$`` match before a trailing newline and ``\\d``/``\\w`` match any Unicode
digit or letter, so ``"carol\\n"`` or ``"S3-٠١٠٠"`` passed patterns written for ASCII. Every
pattern is therefore a plain string named ``*_PATTERN``, written in the portable subset that
JSON Schema (ECMA-262) and Python read alike (``[0-9]``, not ``\\d``), and matched only through
:func:`full_match`: ``re.fullmatch`` with ``re.ASCII``. Pydantic fields use :class:`FullMatch`,
which also puts the pattern into the JSON schema (Backstage, the form, the API documentation).
See docs/decisions/contract-patterns-ascii.md.
"""

import re
from functools import cache
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.ASCII)


def full_match(pattern: str, value: str) -> re.Match | None:
    """The match of ``pattern`` on all of ``value`` (no trailing newline, ASCII classes), or None."""
    return _compiled(pattern).fullmatch(value) if isinstance(value, str) else None


class FullMatch:
    """``Annotated[str, FullMatch(PATTERN)]``: a string field matched by :func:`full_match`.

    Refusals are ``string_pattern_mismatch`` errors like pydantic's own, so messages built from
    them (``contract.loading``) do not change; the JSON schema carries ``pattern`` as before.
    """

    def __init__(self, pattern: str):
        _compiled(pattern)  # a bad pattern fails at import, not on the first value
        self.pattern = pattern

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema

    def _check(self, value: str) -> str:
        if not full_match(self.pattern, value):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": self.pattern},
            )
        return value
