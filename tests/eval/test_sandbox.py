"""The sandbox against hostile programs: each one must be contained, whatever isolation is active.

Every test first reads :attr:`Sandbox.isolation` and asserts the containment
that isolation promises; on this project's machines (bubblewrap, root) that is
all of it.
"""

from __future__ import annotations

import ast
import os
import socket
import sys
import uuid
import warnings

import pytest
from starcoder_eval.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module", params=["auto", "os"])
def sandbox(request):
    """The best sandbox here, and the OS-primitives fallback used where bwrap is missing."""
    config = SandboxConfig(
        backend=request.param, timeout_s=2.0, max_processes=32, max_output_bytes=4096
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Sandbox(config)


def run_python(sandbox: Sandbox, code: str, **kwargs):
    return sandbox.run(["python3", "main.py"], {"main.py": code}, **kwargs)


def live_processes_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker`` (zombies have none)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_isolation_is_reported_and_complete_here(sandbox):
    isolation = sandbox.isolation
    assert isolation.backend in ("bwrap", "os")
    if isolation.backend == "bwrap":
        assert isolation.filesystem and isolation.network and isolation.pid_namespace
    if os.geteuid() == 0:
        assert isolation.dedicated_user
    assert bool(isolation.missing) == (
        not (isolation.filesystem and isolation.network and isolation.dedicated_user)
    )


def test_a_plain_program_runs_in_a_fresh_folder_that_is_removed(sandbox, tmp_path):
    result = run_python(sandbox, "import os\nopen('out.txt', 'w').write('x')\nprint(os.getcwd())")
    assert result.status == "ok" and result.returncode == 0
    folder = result.stdout.strip()
    if sandbox.isolation.backend == "bwrap":
        assert folder == "/sandbox"
    else:
        assert not os.path.exists(folder)


def test_infinite_loop_is_killed_at_the_timeout(sandbox):
    result = run_python(sandbox, "while True:\n    pass\n", timeout_s=1.0)
    assert result.status == "timeout"
    assert result.returncode is None


def test_fork_bomb_is_limited_and_every_child_killed(sandbox):
    marker = f"forkbomb_{uuid.uuid4().hex}"
    code = (
        "import os, time\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n"
    )
    result = sandbox.run(["python3", f"{marker}.py"], {f"{marker}.py": code}, timeout_s=1.5)
    assert result.status == "timeout"
    assert live_processes_with(marker) == []


def test_detached_child_does_not_survive(sandbox):
    marker = f"detached_{uuid.uuid4().hex}"
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "print('parent exits')\n"
    )
    result = sandbox.run(["python3", f"{marker}.py"], {f"{marker}.py": code})
    assert result.status == "ok"
    assert live_processes_with(marker) == []


def test_memory_hog_fails_inside_its_limit(sandbox):
    result = run_python(sandbox, "x = bytearray(8 << 30)\n", memory_bytes=512 << 20)
    assert result.status == "error"
    assert "MemoryError" in result.stderr


def test_writes_outside_the_work_folder_fail(sandbox, tmp_path):
    target = tmp_path / "escaped.txt"
    code = (
        f"for path in [{str(target)!r}, '/etc/escaped', '/usr/escaped', {sys.prefix!r} + '/x']:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        print('WROTE', path)\n"
        "    except OSError as error:\n"
        "        print('blocked', type(error).__name__)\n"
    )
    result = run_python(sandbox, code)
    assert "WROTE" not in result.stdout
    assert result.stdout.count("blocked") == 4
    assert not target.exists() and not os.path.exists("/etc/escaped")


def test_environment_secrets_are_not_visible(sandbox, monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    code = (
        "import os, glob\n"
        "print(sorted(os.environ))\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n"
        "        print(open(path, 'rb').read())\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = run_python(sandbox, code)
    assert result.status == "ok"
    assert secret not in result.stdout
    assert "OPENAI_API_KEY" not in result.stdout
    names = ast.literal_eval(result.stdout.splitlines()[0])
    assert set(names) <= {"PATH", "HOME", "TMPDIR", "LANG", "PWD"}


def test_sockets_cannot_reach_the_host_or_the_network(sandbox):
    if not sandbox.isolation.network:
        pytest.skip("no network namespace on this machine (reported in isolation.missing)")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    code = (
        "import socket\n"
        f"for address in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
        "    s = socket.socket()\n"
        "    s.settimeout(0.5)\n"
        "    try:\n"
        "        s.connect(address)\n"
        "        print('CONNECTED', address)\n"
        "    except OSError as error:\n"
        "        print('blocked', error.errno)\n"
    )
    try:
        result = run_python(sandbox, code)
    finally:
        listener.close()
    assert "CONNECTED" not in result.stdout
    assert result.stdout.count("blocked") == 3


def test_signalling_the_parent_and_the_harness_fails(sandbox):
    code = (
        "import os, signal\n"
        f"targets = [os.getppid(), 1, {os.getpid()}]\n"
        "for pid in targets:\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "        print('SIGNALLED', pid)\n"
        "    except OSError as error:\n"
        "        print('blocked', pid, type(error).__name__)\n"
    )
    result = run_python(sandbox, code)
    # Inside a PID namespace pid 1 is the sandbox's own init, which ignores the signal;
    # the harness's pid is not visible there, and a dedicated user may not signal it.
    assert f"SIGNALLED {os.getpid()}" not in result.stdout
    assert result.status == "ok"
    os.kill(os.getpid(), 0)  # this process, the harness, is alive


def test_output_is_capped(sandbox):
    result = run_python(sandbox, "while True:\n    print('x' * 1000)\n")
    assert result.output_truncated
    assert len(result.stdout) <= sandbox.config.max_output_bytes
    assert result.status in ("error", "timeout")


def test_without_bubblewrap_the_fallback_warns_what_is_missing():
    with pytest.warns(RuntimeWarning, match="bubblewrap"):
        fallback = Sandbox(SandboxConfig(backend="os", timeout_s=2.0))
    assert fallback.isolation.backend == "os"
    assert not fallback.isolation.filesystem and not fallback.isolation.pid_namespace
    result = run_python(fallback, "import os\nprint(sorted(os.environ))")
    assert result.status == "ok" and "OPENAI" not in result.stdout
    assert run_python(fallback, "while True:\n    pass\n", timeout_s=1.0).status == "timeout"


def test_the_end_of_a_flood_of_output_is_kept(sandbox):
    # The completion marker is the last line a test program prints: a completion that
    # prints more than max_output_bytes must not hide it.
    code = "import sys\nsys.stdout.write('x' * 100000)\nprint()\nprint('the-last-line')\n"
    result = run_python(sandbox, code)
    assert result.status == "ok" and result.output_truncated
    assert len(result.stdout) == sandbox.config.max_output_bytes
    assert result.stdout_tail.endswith("x\nthe-last-line\n")
    short = run_python(sandbox, "print('one')\nprint('two')\n")
    assert short.stdout_tail == short.stdout == "one\ntwo\n"
