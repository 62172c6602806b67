"""The platform core imports no feature app: requests, runner and replication build on it, not it on them."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
FEATURE_APPS = {"requests_app", "runner", "replication"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_feature_app():
    offenders = {
        str(path.relative_to(CORE)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in FEATURE_APPS
        )
        for path in CORE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
