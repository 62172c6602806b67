"""JSON Schema files generated from the models, for Backstage, CI and other tools.

Enum references are inlined so each property carries its own `enum`, title and description, which is
what a template generator reads.
"""

import json
from pathlib import Path

import yaml

from .models import Contract, RequestInput

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_MODELS = {"s3": Contract, "s3-request-input": RequestInput}


def json_schema(model) -> dict:
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})
    schema = _inline_enums(schema, definitions)
    if definitions:
        schema["$defs"] = {
            name: _inline_enums(body, definitions) for name, body in definitions.items() if "enum" not in body
        }
        if not schema["$defs"]:
            del schema["$defs"]
    return {"$schema": SCHEMA_DIALECT, **schema}


def _inline_enums(node, definitions: dict):
    if isinstance(node, list):
        return [_inline_enums(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    target = definitions.get(node.get("$ref", "").removeprefix("#/$defs/"))
    if target is not None and "enum" in target:
        # pydantic leaves out a field title equal to the enum's own title, so take it from the enum.
        merged = {"type": target.get("type", "string"), "enum": target["enum"], "title": target.get("title")}
        return {**merged, **{key: value for key, value in node.items() if key != "$ref"}}
    return {key: _inline_enums(value, definitions) for key, value in node.items()}


def generated_schema_files() -> dict[str, str]:
    """File name -> exact text, for every schema file under schemas/requests/."""
    files = {}
    for stem, model in SCHEMA_MODELS.items():
        schema = json_schema(model)
        files[f"{stem}.schema.json"] = json.dumps(schema, indent=2, sort_keys=False) + "\n"
        files[f"{stem}.schema.yaml"] = yaml.safe_dump(schema, sort_keys=False, allow_unicode=True)
    return files


def write_schema_files(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in generated_schema_files().items():
        (directory / name).write_text(text, encoding="utf-8")
    return sorted(generated_schema_files())


def stale_schema_files(directory: Path) -> list[str]:
    """Names of files that are missing or differ from what the models generate."""
    return sorted(
        name
        for name, text in generated_schema_files().items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    )
