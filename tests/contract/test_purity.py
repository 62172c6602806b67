"""The contract package stays pure: importing it loads neither Django, the ORM nor an HTTP client."""

import subprocess
import sys

FORBIDDEN = ("django", "rest_framework", "requests", "boto3", "urllib3")


def test_contract_package_imports_no_framework_or_http():
    code = (
        "import sys, requests_app.contract; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r})))"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
