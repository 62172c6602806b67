"""Build each Lambda as a deterministic zip: ``python -m lambdas.build --out DIR``.

Same sources give the same bytes (sorted entries, a fixed timestamp, fixed permissions, fixed
compression), so Terraform's ``source_code_hash`` changes only when code does. Each zip holds the
``lambdas`` package with the shared code and that one function; the handler is
``lambdas.<function>.handler.handler``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
FUNCTIONS = ("checksum_validator", "failure_notifier")
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def sources_for(function: str) -> list[Path]:
    """The package marker, the shared code and the function's own modules, in a stable order."""
    files = [PACKAGE_ROOT / "__init__.py"]
    for directory in ("shared", function):
        files.extend(sorted((PACKAGE_ROOT / directory).glob("*.py")))
    return sorted(files, key=lambda path: path.relative_to(PACKAGE_ROOT.parent).as_posix())


def build_zip(function: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{function}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for source in sources_for(function):
            entry = zipfile.ZipInfo(source.relative_to(PACKAGE_ROOT.parent).as_posix(), FIXED_TIMESTAMP)
            entry.external_attr = FILE_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so the mode bits mean the same everywhere
            archive.writestr(entry, source.read_bytes(), compresslevel=9)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("var/lambdas"), help="output directory")
    arguments = parser.parse_args(argv)
    built = {}
    for function in FUNCTIONS:
        path = build_zip(function, arguments.out)
        built[function] = {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    print(json.dumps(built, indent=2))


if __name__ == "__main__":
    main()
