"""Run every benchmark once, one after another, and write what each printed with the load average around it.

docs/performance.md is written from one such run on an idle machine: a number is only comparable with the
machine's load next to it. Each script runs as its own process with the sizes given (default sizes unless
--small); its JSON output, wall time and the 1-minute load average before and after go into one JSON file.
Run: .venv/bin/python bench/run_all.py [--small] [--only api,runner] [--out var/bench/all.json]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [
    "api",
    "submission_cost",
    "sns_ingestion",
    "audit_export",
    "runner",
    "compliance",
    "pages",
    "checksum_validator",
]


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_one(name: str, small: bool) -> dict:
    command = [sys.executable, str(ROOT / "bench" / f"bench_{name}.py"), *(["--small"] if small else [])]
    before, started = load_average(), time.monotonic()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    result = {
        "seconds": round(time.monotonic() - started, 1),
        "load_before": before,
        "load_after": load_average(),
        "exit_code": finished.returncode,
    }
    try:
        result["result"] = json.loads(finished.stdout[finished.stdout.index("{") :])
    except ValueError:
        result["stdout_tail"] = finished.stdout[-2000:]
        result["stderr_tail"] = finished.stderr[-2000:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "all.json")
    arguments = parser.parse_args()
    names = [name for name in arguments.only.split(",") if name]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cores": os.cpu_count()}
    for name in names:
        print(f"bench_{name} (load {load_average()})", file=sys.stderr, flush=True)
        report[name] = run_one(name, arguments.small)
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
