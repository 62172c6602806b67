"""Contract files are bounded in size, depth and alias expansion before the document is built."""

import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from requests_app.contract.cli import EXIT_UNREADABLE, check_file
from requests_app.contract.loading import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    ContractParseError,
    parse_yaml_mapping,
)
from tests.contract.cases import SEED_CONTRACT
from tests.support.common import child_environment

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def yaml_bomb(levels: int = 9, width: int = 9) -> str:
    """A valid contract whose metadata holds a "billion laughs": width**levels strings once expanded."""
    lines = ["metadata:", "  a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    metadata = "\n".join(lines) + "\n"
    return SEED_CONTRACT.replace("requester: daniel-deans\n", "requester: daniel-deans\n" + metadata)


def test_a_yaml_bomb_is_refused_while_memory_stays_small():
    tracemalloc.start()
    try:
        with pytest.raises(ContractParseError, match="more than 10000 values once its aliases are expanded"):
            parse_yaml_mapping(yaml_bomb())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


@pytest.mark.django_db(transaction=True)
def test_the_import_command_refuses_a_yaml_bomb_within_a_memory_limit(tmp_path):
    """The command as an operator runs it, in a process allowed 1 GiB (the bomb took 2.9 GB before)."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(yaml_bomb())

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))

    for action in (["validate", "--skip-team-check"], ["import"]):
        result = subprocess.run(
            [sys.executable, "manage.py", "s3_contract", *action, str(bomb)],
            cwd=PROJECT_ROOT,
            env=child_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limit_memory,
        )
        output = result.stdout + result.stderr
        assert "once its aliases are expanded" in output, output[-2000:]
        assert "MemoryError" not in output and "Traceback" not in output


def test_aliases_within_the_bound_still_load():
    assert parse_yaml_mapping("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_refused_with_its_line(opening):
    with pytest.raises(ContractParseError, match=f"more than {MAX_YAML_DEPTH} levels") as refused:
        parse_yaml_mapping("x: " + opening * 10_000)
    assert refused.value.line == 1


def test_nesting_up_to_the_bound_loads():
    assert parse_yaml_mapping("x: " + "[" * (MAX_YAML_DEPTH - 1) + "]" * (MAX_YAML_DEPTH - 1))


def test_an_oversized_file_is_refused_before_it_is_read_whole(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(SEED_CONTRACT + "#" * (MAX_YAML_BYTES + 1) + "\n")

    report = check_file(str(big), policy=None)

    assert report.status == "unreadable" and "larger than 256 KiB" in report.error
    assert EXIT_UNREADABLE == 2
