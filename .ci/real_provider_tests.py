"""Count the real-provider tests of a pytest run from its JUnit XML; fail when none ran but could have.

Tests marked ``real_provider`` carry the JUnit property ``real_provider`` (tests/conftest.py). They
must run on a machine with a Terraform provider mirror (TERRAFORM_PROVIDER_MIRROR, else
/opt/tf-plugins): a mirror that is present while every such test skipped means the suite stopped
proving the real stack, and CI fails.

Usage: python3 .ci/real_provider_tests.py JUNIT.xml
"""

import os
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path


def count(junit_path: str) -> dict:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for case in ElementTree.parse(junit_path).iter("testcase"):
        names = {prop.get("name") for prop in case.iter("property")}
        if "real_provider" not in names:
            continue
        if case.find("skipped") is not None:
            counts["skipped"] += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            counts["failed"] += 1
        else:
            counts["passed"] += 1
    return counts


def main(junit_path: str) -> int:
    counts = count(junit_path)
    ran = counts["passed"] + counts["failed"]
    print(
        f"real-provider tests: {ran} ran ({counts['passed']} passed, {counts['failed']} failed), "
        f"{counts['skipped']} skipped"
    )
    mirror = Path(os.environ.get("TERRAFORM_PROVIDER_MIRROR") or "/opt/tf-plugins")
    if ran == 0 and (mirror / "registry.terraform.io").is_dir():
        print(f"error: a provider mirror exists at {mirror} but no real-provider test ran", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
