"""The warm interpreter's `python` (tests.helpers.warm_python_shim), which the processes of the
DDP, sweep and signal tests start their own processes with, behaves as `python` would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.helpers import warm_python

CHILD = """
import os, sys, time
print("torch" in sys.modules, sys.executable == os.environ["SHIM"], flush=True)
what = sys.argv[1]
if what == "pipe":
    os.write(int(sys.argv[2]), b"through fd " + sys.argv[2].encode())
elif what == "group":
    os.setpgid(0, 0)
    print("left", flush=True)
    time.sleep(60)
elif what == "wait":
    print(os.getpid(), flush=True)
    time.sleep(60)
sys.exit(int(sys.argv[2]) if what == "status" else 0)
"""


def shim(tmp_path, *args: str, **popen) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = warm_python._server_env() | {"SHIM": warm_python.executable()}
    return subprocess.Popen(
        [warm_python.executable(), "-u", str(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_a_script_forks_warm_with_its_exit_status_and_its_descriptors(tmp_path):
    proc = shim(tmp_path, "status", "3")
    assert proc.communicate(timeout=60)[0] == "True True\n" and proc.returncode == 3
    read, write = os.pipe()
    proc = shim(tmp_path, "pipe", str(write), pass_fds=(write,))
    os.close(write)
    assert os.read(read, 100) == f"through fd {write}".encode()
    assert proc.wait(timeout=60) == 0


def test_python_c_and_an_environment_read_at_import_get_the_real_interpreter(tmp_path):
    code = "import sys; print('torch' in sys.modules, sys.executable)"
    out = subprocess.run(
        [warm_python.executable(), "-c", code], capture_output=True, text=True, timeout=60
    ).stdout
    assert out == f"False {sys.executable}\n"
    script = tmp_path / "which.py"
    script.write_text(code)
    env = warm_python._server_env() | {"OMP_NUM_THREADS": "3"}
    out = subprocess.run(
        [warm_python.executable(), str(script)], env=env, capture_output=True, text=True
    ).stdout
    assert out == f"False {sys.executable}\n"


def test_a_signal_reaches_the_child_and_the_shim_ends_as_it_did(tmp_path):
    proc = shim(tmp_path, "wait")
    proc.stdout.readline()
    proc.stdout.readline()  # the child's pid: it sleeps
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == -signal.SIGTERM
    # A shim killed outright takes its child with it.
    proc = shim(tmp_path, "wait")
    proc.stdout.readline()
    child = int(proc.stdout.readline())
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the child outlived its killed shim"
        time.sleep(0.05)


def test_a_child_leaving_its_group_takes_the_shim_out_of_the_group_with_it(tmp_path):
    proc = shim(tmp_path, "group")
    assert proc.stdout.readline() and proc.stdout.readline() == "left\n"
    deadline = time.monotonic() + 10
    while os.getpgid(proc.pid) == os.getpgid(0):
        assert time.monotonic() < deadline, "the shim stayed in the terminal's group"
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
