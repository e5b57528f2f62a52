"""`python` for the processes that a warm child starts itself (DDP's other ranks, loky's sweep
workers, submitit's jobs): the server writes an executable `python` that calls `main` with the
real interpreter, its socket and the file's own path, and sets it as the child's `sys.executable`.

Run as `python [-u] script args` or `python [-u] -m module args`, it asks the server to fork a
child that runs the command with this process's arguments, directory, environment and every open
descriptor at its number, then stands in for it: a signal sent to this process is sent on to
the child, the child leaving its process group makes this process leave its own (so that a
signal to the group reaches the child once), and this process ends as the child did. Anything
else (`-c`, other flags, `REAL_FOR`) or an environment the server cannot fork for replaces this
process with the real interpreter. Standard library only: it starts in milliseconds.
"""

import contextlib
import json
import os
import select
import signal
import socket
import sys

# Modules that name files by their own pid, which their parent knows as the shim's.
REAL_FOR = ("submitit.local._local",)
FORWARDED = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)


def main(real: str, server: str, shim: str, args: list[str]) -> None:
    """Run `python <args>` as a child of the server, or become `real` where it cannot."""
    command, unbuffered = list(args), False
    while command[:1] == ["-u"]:
        command, unbuffered = command[1:], True
    module = command[1] if command[:1] == ["-m"] and len(command) > 1 else None
    if not command or (command[0].startswith("-") and module is None) or module in REAL_FOR:
        os.execv(real, [real, *args])
    fds = [fd for fd in sorted(map(int, os.listdir("/proc/self/fd"))) if _is_open(fd)]
    group_read, group_write = os.pipe()
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(server)
    request = {
        "argv": command,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "new_session": False,
        "targets": fds,
        "unbuffered": unbuffered,
        "executable": shim,
    }
    socket.send_fds(control, [json.dumps(request).encode()], [*fds, group_write])
    os.close(group_write)
    reply = _read_line(control)
    if reply == "exec":
        control.close()
        os.execv(real, [real, *args])
    pid = int(reply)
    for fd in fds:
        if fd > 2:
            os.close(fd)  # the child holds them now: a pipe's end closes with the child
    for signum in FORWARDED:
        signal.signal(signum, lambda s, _, pid=pid: _send(pid, s))
    status = b""
    readers = [control, group_read]
    while True:
        ready, _, _ = select.select(readers, [], [])
        if group_read in ready:
            if os.read(group_read, 1) == b"":
                readers.remove(group_read)
            elif os.getpgid(0) != os.getpid():
                os.setpgid(0, 0)
        if control in ready:
            chunk = control.recv(64)
            if not chunk:
                break
            status += chunk
    code = int(status.decode())
    if code < 0:  # killed by signal -code: so is this process
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _read_line(control: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = control.recv(1)
        if not chunk:
            sys.exit("warm python: the server stopped")
        data += chunk
    return data.decode().strip()
