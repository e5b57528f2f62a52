"""`python train.py ...` (or `python -m module ...`) in a process of its own without paying the
interpreter's start: a server that has imported torch and the libraries Lightning pulls in
(`PRELOAD`) once forks one child per command, and the child runs the command as a fresh
interpreter would, with the caller's arguments, working directory, environment and standard
streams.

A test that needs a process (a signal to it, its exit status, DDP ranks or a launcher's jobs
started from it) gets one without the 7-10 s that importing torch and Lightning costs a fresh
`python`: the child imports only Lightning itself (0.25 s once the rest is loaded) and litgan's
run modules; a tiny run forked so took about 1.5 s in all, loaded. What a fork cannot show is
the start itself: Ctrl-C while train.py imports, the console scripts' entry points and one
`python train.py` smoke test start real interpreters (`fresh=True`). A command whose
environment changes what is read while importing (`IMPORT_TIME`) starts a real interpreter too.

The processes a child starts itself with `sys.executable` (DDP's other ranks, loky's sweep
workers) fork from the server as well: a child's `sys.executable` is the server's `python`
(`executable()`, tests.helpers.warm_python_shim), which stands in for the forked process.

One server per test process (each pytest-xdist worker), started at the first use and stopped
when that process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import io
import json
import os
import runpy
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Read by Python, torch or OpenMP while they import: a child forked from the server would keep
# the server's values, so a command asking for others gets a fresh interpreter.
IMPORT_TIME = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "PYTHONWARNINGS",
    "PYTHONDONTWRITEBYTECODE",
    "TORCH_COMPILE_DISABLE",
    "MPLBACKEND",
    "MPLCONFIGDIR",
)
# What costs seconds to import, loaded once in the server: Lightning's dependencies but not
# Lightning, whose import adds a console handler of its own unless logging is configured by
# then (train.py imports it after Hydra has set up the run's logging; 0.25 s once these are in).
PRELOAD = (
    "torch",
    "torchvision",
    "torchmetrics",
    "scipy.signal",
    "numpy",
    "PIL.Image",
    "matplotlib.pyplot",
    "hydra",
    "omegaconf",
    "litgan.cli.train",
)


class WarmProcess:
    """The part of `subprocess.Popen` the tests use, for a child of the server.

    Args:
        pipes: our read end of the child's "stdout" and "stderr", where they are piped.
    """

    def __init__(self, control: socket.socket, pid: int, pipes: dict[str, int]) -> None:
        self._control = control
        self.pid = pid
        self.returncode: int | None = None
        self.stdout = os.fdopen(pipes["stdout"], errors="replace") if "stdout" in pipes else None
        self.stderr = os.fdopen(pipes["stderr"], errors="replace") if "stderr" in pipes else None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._control.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._read_status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._control.setblocking(True)
            self._control.settimeout(timeout)
            try:
                self._read_status()
            except TimeoutError:
                raise subprocess.TimeoutExpired(str(self.pid), timeout) from None
        return self.returncode

    def _read_status(self) -> None:
        """The child's exit status, which the server sends when it has reaped the child and then
        closes the connection (BlockingIOError or TimeoutError while the child runs)."""
        data = self._control.recv(64)
        self._control.setblocking(True)
        while data and (chunk := self._control.recv(64)):
            data += chunk
        self._control.close()
        if not data:
            raise RuntimeError(f"the warm Python server ended before child {self.pid} did")
        self.returncode = int(data.decode())  # -N: killed by signal N, as Popen says

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # a reaped child's pid may be another process's by now
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str | None, str | None]:
        """Read the piped streams to their end, then wait for the exit status."""
        streams = {"stdout": self.stdout, "stderr": self.stderr}
        texts = {name: [] for name, stream in streams.items() if stream is not None}
        readers = [
            threading.Thread(target=lambda n=name: texts[n].append(streams[n].read()))
            for name in texts
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
        self.wait(timeout)
        for stream in filter(None, streams.values()):
            stream.close()
        return tuple("".join(texts[n]) if n in texts else None for n in ("stdout", "stderr"))


def run_env(**extra: str) -> dict[str, str]:
    """The environment of the tests' runs, and of the server: this process's without
    HYDRA_FULL_ERROR (a refusal is one line, not Hydra's traceback), one torch thread unless
    said otherwise, then `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env.setdefault("OMP_NUM_THREADS", "1")
    return env | extra


def popen(
    argv: list[str],
    *,
    cwd: Path | str,
    env: dict[str, str],
    stdout: int | object = subprocess.DEVNULL,
    stderr: int | object = subprocess.DEVNULL,
    start_new_session: bool = False,
    fresh: bool = False,
) -> WarmProcess | subprocess.Popen:
    """`subprocess.Popen([sys.executable, *argv], text=True, ...)` on a child of the server.

    `argv` is a script and its arguments, or `-m`, a module and its arguments. `stdout` and
    `stderr`: `subprocess.PIPE`, `subprocess.DEVNULL` or an open file. `fresh`, or an
    environment that differs from the server's in `IMPORT_TIME`: a real interpreter.
    """
    if fresh or _differs_at_import(env, _server_env()):
        return subprocess.Popen(
            [sys.executable, *argv],
            cwd=cwd,
            env=env,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=start_new_session,
        )
    fds, ours, close = [], {}, []
    for name, target in (("stdin", subprocess.DEVNULL), ("stdout", stdout), ("stderr", stderr)):
        if target == subprocess.PIPE:
            read, write = os.pipe()
            ours[name] = read
            fds.append(write)
            close.append(write)
        elif target == subprocess.DEVNULL:
            fd = os.open(os.devnull, os.O_RDWR)
            fds.append(fd)
            close.append(fd)
        else:
            fds.append(target.fileno())
    request = {"argv": argv, "cwd": str(cwd), "env": env, "new_session": start_new_session}
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(_server_socket())
    socket.send_fds(control, [json.dumps(request).encode()], fds)
    for fd in close:
        os.close(fd)
    pid = int(_read_line(control))
    return WarmProcess(control, pid, ours)


def run(
    argv: list[str], *, cwd: Path | str, env: dict[str, str], timeout: float, fresh: bool = False
) -> subprocess.CompletedProcess:
    """`subprocess.run([sys.executable, *argv], capture_output=True, text=True, ...)`."""
    proc = popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        fresh=fresh,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return subprocess.CompletedProcess([sys.executable, *argv], proc.returncode, out, err)


def executable() -> str:
    """A warm child's `sys.executable`: the server's `python` (tests.helpers.warm_python_shim),
    or the real interpreter where the stand-in cannot run."""
    _server_socket()
    return _SERVER["executable"]


def _read_line(control: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = control.recv(1)
        if not chunk:
            raise RuntimeError("the warm Python server stopped; see its stderr above")
        data += chunk
    return data.decode()


_SERVER: dict[str, object] = {}


def _server_env() -> dict[str, str]:
    _server_socket()
    return _SERVER["env"]


def _server_socket() -> str:
    """The server's socket, starting the server at the first call in this process."""
    if "socket" not in _SERVER:
        scratch = tempfile.mkdtemp(prefix="litgan-warm-")
        path = str(Path(scratch) / "socket")
        env = run_env()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.warm_python", path],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        ready, _, executable = proc.stdout.readline().decode().rstrip("\n").partition(" ")
        if ready != "ready":
            raise RuntimeError(f"the warm Python server did not start (status {proc.wait()})")
        atexit.register(lambda: (proc.kill(), proc.wait(), shutil.rmtree(scratch)))
        _SERVER.update(socket=path, env=env, proc=proc, executable=executable)
    return _SERVER["socket"]


def _serve(path: str) -> None:
    """Import once, then fork a child per request until the parent process ends."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    loaded = [m for m in ("pytorch_lightning", "lightning_fabric") if m in sys.modules]
    if loaded:
        raise RuntimeError(f"{loaded} must be imported by the runs, not by the server")
    shim = Path(path).with_name("python")
    here, real = str(Path(__file__).parent), sys.executable
    shim.write_text(  # -IS: without site-packages, it starts in milliseconds
        f"#!{real} -IS\nimport sys\nsys.path.insert(0, {here!r})\n"
        f"from warm_python_shim import main\n"
        f"main({real!r}, {path!r}, {str(shim)!r}, sys.argv[1:])\n"
    )
    shim.chmod(0o755)
    # Where the scratch directory's file system forbids running files (noexec), children keep
    # the real interpreter rather than one that cannot start.
    try:
        runs = subprocess.run([shim, "-c", ""], capture_output=True, check=False).returncode == 0
    except OSError:  # PermissionError where it may not run
        runs = False
    executable = str(shim) if runs else sys.executable
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    listener.settimeout(0.05)
    parent = os.getppid()
    children: dict[int, socket.socket] = {}
    stand_ins: dict[socket.socket, int] = {}  # a shim's connection: the child it stands in for
    print("ready", executable, flush=True)
    while os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            control, _ = listener.accept()
            control.settimeout(None)
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 1024)
            request = json.loads(message)
            request.setdefault("executable", executable)
            if "targets" in request and _differs_at_import(request["env"], os.environ):
                for fd in fds:
                    os.close(fd)
                control.sendall(b"exec\n")
                control.close()
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                _child(request, fds)  # does not return
            for fd in fds:
                os.close(fd)
            control.sendall(f"{pid}\n".encode())
            children[pid] = control
            if "targets" in request:
                stand_ins[control] = pid
        # A shim that ended (SIGKILL) before its child: the child goes as the process would.
        gone, _, _ = select.select(list(stand_ins), [], [], 0)
        for control in gone:
            with contextlib.suppress(OSError):
                os.kill(stand_ins.pop(control), signal.SIGKILL)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            control = children.pop(pid)
            stand_ins.pop(control, None)
            with contextlib.suppress(OSError):
                control.sendall(str(os.waitstatus_to_exitcode(status)).encode())
            control.close()


def _differs_at_import(env: Mapping[str, str], server_env: Mapping[str, str]) -> bool:
    """Whether a command's environment asks for other values than the server imported with."""
    return any(env.get(k) != server_env.get(k) for k in IMPORT_TIME)


def _child(request: dict, fds: list[int]) -> None:
    """Become `python <argv>` as a fresh interpreter would start it, and exit as it would."""
    if request["new_session"]:
        os.setsid()
    if "targets" in request:  # a shim's: every descriptor at its number, and the group pipe
        group = fcntl.fcntl(fds[-1], fcntl.F_DUPFD_CLOEXEC, 1000)
        _descriptors_at(request["targets"], fds[:-1], keep=group)
        _tell_group_changes(group)
    else:  # popen's: standard streams
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # Popen's close_fds
    sys.executable = request["executable"]  # the processes it starts fork from the server too
    if request.get("unbuffered"):  # python -u
        for name, fd in (("stdout", 1), ("stderr", 2)):
            old = getattr(sys, name)
            raw = io.FileIO(fd, "w", closefd=False)
            setattr(sys, name, io.TextIOWrapper(raw, old.encoding, old.errors, write_through=True))
    # The signal state a fresh interpreter starts with.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for signum in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    argv = request["argv"]
    python_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    code = 0
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            sys.path[:1] = [os.getcwd(), *python_path]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(argv)
            sys.path[:1] = [str(Path(argv[0]).resolve().parent), *python_path]
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as Python ends on an uncaught Ctrl-C
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        code = 1
    _finish()
    os._exit(code)


def _descriptors_at(targets: list[int], fds: list[int], keep: int) -> None:
    """Put each received descriptor at its number in the shim, closing every other but `keep`."""
    floor = max([*targets, *fds]) + 1
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, floor) for fd in fds]
    for target, fd in zip(targets, moved, strict=True):
        os.dup2(fd, target)
    keep = {*targets, keep}
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _tell_group_changes(group_fd: int) -> None:
    """Have the shim follow this process out of its process group (os.setpgid(0, 0),
    os.setsid), so that a signal to the group the shim is in reaches this process once."""
    setpgid, setsid, me = os.setpgid, os.setsid, os.getpid()

    def tell() -> None:
        if os.getpid() == me:  # not a process forked from this one
            with contextlib.suppress(OSError):  # a shim killed a moment ago
                os.write(group_fd, b"g")

    def setpgid_(pid: int, pgrp: int) -> None:
        setpgid(pid, pgrp)
        if pid in (0, me) and pgrp in (0, me):
            tell()

    def setsid_() -> int:
        sid = setsid()
        tell()
        return sid

    os.setpgid, os.setsid = setpgid_, setsid_


def _finish() -> None:
    """What the interpreter does at its end: wait for non-daemon threads, run atexit's
    functions, flush the standard streams."""
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
