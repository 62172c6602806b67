"""The provider-free twin declares exactly the real stack's variables and outputs."""

import hcl2

from tests.support.common import PROJECT_ROOT

REAL = PROJECT_ROOT / "terraform" / "stacks" / "s3-request"
TWIN = PROJECT_ROOT / "terraform" / "testing" / "s3-request-fake"


def _blocks(directory, kind: str, attribute: str) -> dict:
    """name -> the attribute (variable type, or output existence) of every block of ``kind``."""
    found = {}
    for tf_file in sorted(directory.glob("*.tf")):
        with tf_file.open() as handle:
            for block in hcl2.load(handle).get(kind, []):
                for name, body in block.items():
                    found[name.strip('"')] = body.get(attribute)
    return found


def test_the_twin_declares_the_real_stacks_variables_from_the_same_file():
    # A symlink, so the twin can never drift from what the renderer must fill.
    assert (TWIN / "variables.tf").resolve() == (REAL / "variables.tf").resolve()
    assert {"bucket_name", "aws_endpoint_url"} <= _blocks(TWIN, "variable", "type").keys()


def test_the_twin_has_the_real_stacks_outputs():
    assert _blocks(TWIN, "output", "description").keys() == _blocks(REAL, "output", "description").keys()
