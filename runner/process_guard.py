"""``python runner/process_guard.py PARENT_PID COMMAND...``: run COMMAND; none of it outlives the worker.

Terraform starts provider plugins and provisioners as its own children; Linux's parent-death signal
reaches only a direct child, so a worker killed with SIGKILL used to leave plugins behind, still
talking to AWS. The runner (runner.terraform_process) therefore starts this guard as the leader of a
new process group, and COMMAND with everything it starts stays in that group. The guard asks Linux
for SIGTERM when the worker dies and answers it by killing the whole group. SIGINT (a cancel, sent
to the group) is Terraform's to handle: the guard ignores it and waits. When COMMAND ends, whatever
it left in the group is killed. The guard's exit code is COMMAND's (128 + signal number when a
signal ended it).

Standard library only, run as a script: it must start fast and import nothing of the project.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def kill_group(signum=None, frame=None) -> None:
    os.killpg(0, signal.SIGKILL)  # the guard is in the group too: nothing is left


def kill_rest_of_group() -> None:
    """After COMMAND ended: SIGKILL whatever it left in the group (a plugin or provisioner that did
    not stop), so nothing goes on in the background or holds the worker's output pipes open."""
    me, group = os.getpid(), os.getpgid(0)
    for _ in range(10):  # a leftover may fork while we look: look again until the group is empty
        others = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != me:
                try:
                    if os.getpgid(int(entry)) == group:
                        others.append(int(entry))
                except ProcessLookupError:
                    pass
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main(argv: list[str]) -> int:
    parent_pid, command = int(argv[0]), argv[1:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, kill_group)
    if sys.platform.startswith("linux"):
        # The process's own symbols include libc's prctl; ctypes.util.find_library would run ldconfig.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the worker died before the request above took effect
        kill_group()
    # The child must take SIGINT again (Terraform's graceful stop); SIG_IGN would be inherited.
    # posix_spawn, not subprocess: importing subprocess was a tenth of the guard's start.
    child = os.posix_spawnp(command[0], command, os.environ, setsigdef=(signal.SIGINT,))
    returncode = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    if os.path.isdir("/proc"):
        kill_rest_of_group()
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
