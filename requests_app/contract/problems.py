"""The one shape every problem takes, whichever edge found it (guardrail, schema, parser)."""

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """A field path (`spec.encryption.type`), a message that says how to fix it, a severity and a rule code.

    `field` names the request-input field to highlight in a form, when the problem maps to one.
    """

    path: str
    message: str
    severity: Severity = Severity.ERROR
    code: str = ""
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def error(path: str, code: str, message: str) -> Problem:
    return Problem(path=path, message=message, severity=Severity.ERROR, code=code)


def warning(path: str, code: str, message: str) -> Problem:
    return Problem(path=path, message=message, severity=Severity.WARNING, code=code)


def has_errors(problems: list[Problem]) -> bool:
    return any(problem.is_error for problem in problems)


def format_path(location: tuple) -> str:
    """Turn a pydantic location such as ('spec', 'lifecycle', 'transitions', 0, 'days') into a field path."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
