"""The request-input fields as plain data, read from the pydantic ``RequestInput`` schema.

The web form and the API serializer are both built from :data:`INPUT_FIELDS`, so field
names (the Backstage template's), types, choices, defaults, limits and help text exist
once: in ``requests_app.contract.models.RequestInput``.
"""

from dataclasses import dataclass
from typing import Any

from requests_app.contract import RequestInput

TEXT, INTEGER, BOOLEAN, CHOICE, TEXT_LIST, TEXT_MAP = "text", "integer", "boolean", "choice", "list", "map"


@dataclass(frozen=True)
class InputField:
    name: str  # wire name (camelCase), also the form field's name
    kind: str
    title: str
    help: str
    required: bool
    nullable: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_items: int | None = None
    example: Any = None


def _resolve(prop: dict, definitions: dict) -> tuple[dict, bool]:
    """The property's own schema (through ``$ref`` and ``anyOf [X, null]``) and whether null is allowed."""
    nullable = False
    if "anyOf" in prop:
        options = [option for option in prop["anyOf"] if option.get("type") != "null"]
        nullable = len(options) < len(prop["anyOf"])
        prop = {**prop, **options[0]}
    if "$ref" in prop:
        definition = definitions[prop["$ref"].rsplit("/", 1)[-1]]
        prop = {**definition, **prop}
    return prop, nullable


def _kind(schema: dict) -> str:
    if "enum" in schema:
        return CHOICE
    return {"integer": INTEGER, "boolean": BOOLEAN, "array": TEXT_LIST, "object": TEXT_MAP}.get(
        schema.get("type"), TEXT
    )


def _input_fields() -> tuple[InputField, ...]:
    schema = RequestInput.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema["properties"].items():
        resolved, nullable = _resolve(prop, definitions)
        fields.append(
            InputField(
                name=name,
                kind=_kind(resolved),
                title=prop.get("title") or resolved.get("title") or name,
                help=prop.get("description", ""),
                required=name in required,
                nullable=nullable,
                default=resolved.get("default"),
                choices=tuple(resolved.get("enum", ())),
                pattern=resolved.get("pattern"),
                min_length=resolved.get("minLength"),
                max_length=resolved.get("maxLength"),
                minimum=resolved.get("minimum"),
                maximum=resolved.get("maximum"),
                max_items=resolved.get("maxItems"),
                example=(prop.get("examples") or [None])[0],
            )
        )
    return tuple(fields)


INPUT_FIELDS: tuple[InputField, ...] = _input_fields()
INPUT_FIELD_NAMES = frozenset(field.name for field in INPUT_FIELDS)
