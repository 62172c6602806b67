"""``python -I -S runner/watchdog.py WORKER_PID``: SIGKILL the worker's Terraform groups when the worker is gone.

Terraform starts provider plugins and provisioners as its own children; Linux's parent-death signal
reaches only a direct child, so a worker killed with SIGKILL used to leave plugins behind, still
talking to AWS. Each Terraform command therefore runs in a process group of its own (its leader is the
command, started by runner.terraform_process), and each worker process starts one watchdog, this
script, in a session of its own (a signal to the worker's group does not reach it).

The worker holds the only write end of the watchdog's stdin (a close-on-exec pipe: no command
inherits it) and writes ``+PGID`` before a command may start and ``-PGID`` once that group is cleaned
up. When the worker is gone, however it died, the kernel closes that write end and the watchdog reads
EOF; if a process forked from the worker without exec kept a copy, the watchdog still sees its parent
change (checked every POLL_SECONDS). Either way it SIGKILLs every group still registered, says which
on stderr, and exits. PR_SET_PDEATHSIG is not used: it fires when the *thread* that started the
watchdog ends, which in a worker with threads is not the worker's death.

Standard library only, run as a script: it must start fast and import nothing of the project.
"""

import os
import select
import signal
import sys

POLL_SECONDS = 1.0


def apply(lines: list[bytes], groups: set[int]) -> None:
    for line in lines:
        if line.startswith(b"+"):
            groups.add(int(line[1:]))
        elif line.startswith(b"-"):
            groups.discard(int(line[1:]))


def kill(groups: set[int], why: str) -> None:
    for group in sorted(groups):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended between the worker's death and now
    if groups:
        print(f"watchdog: {why}; killed process groups {' '.join(map(str, sorted(groups)))}", file=sys.stderr)


def stop(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    worker = int(argv[0])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the worker's to handle; its EOF follows
    signal.signal(signal.SIGTERM, stop)  # stopped by someone else: nothing is left unguarded
    signal.signal(signal.SIGHUP, stop)
    groups: set[int] = set()
    pending = b""
    why = f"worker {worker} is gone"
    try:
        while os.getppid() == worker:
            if select.select([0], [], [], POLL_SECONDS)[0]:
                data = os.read(0, 65536)
                if not data:
                    break
                *lines, pending = (pending + data).split(b"\n")
                apply(lines, groups)
        else:  # a forked copy of the worker may hold the pipe open: take what was written, then stop
            os.set_blocking(0, False)
            try:
                while data := os.read(0, 65536):
                    pending += data
            except BlockingIOError:
                pass
            apply(pending.split(b"\n"), groups)
    except SystemExit as stopped:
        why = f"stopped by signal {stopped.code - 128}"
    finally:
        kill(groups, why)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
