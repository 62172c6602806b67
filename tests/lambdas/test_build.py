import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lambdas.build import FUNCTIONS, build_zip

pytestmark = pytest.mark.db_independent

REPO = Path(__file__).parents[2]


def test_two_builds_are_byte_identical(tmp_path):
    for function in FUNCTIONS:
        first = build_zip(function, tmp_path / "one").read_bytes()
        second = build_zip(function, tmp_path / "two").read_bytes()
        assert first == second, function


def test_zip_holds_shared_code_and_only_its_own_function(tmp_path):
    names = zipfile.ZipFile(build_zip("failure_notifier", tmp_path)).namelist()
    assert "lambdas/failure_notifier/handler.py" in names
    assert "lambdas/shared/events.py" in names
    assert not any(name.startswith("lambdas/checksum_validator/") for name in names)
    assert names == sorted(names)


def test_built_zip_imports_its_handler_with_only_the_zip_on_the_path(tmp_path):
    archive = build_zip("checksum_validator", tmp_path)
    probe = "import lambdas.checksum_validator.handler as h; print(h.handler.__name__)"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(archive)!r}); {probe}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.stdout.strip() == "handler", result.stderr


def test_command_line_writes_both_zips(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "lambdas.build", "--out", str(tmp_path)],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "checksum_validator.zip",
        "failure_notifier.zip",
    ]
