"""Readers: exact rows and drop reasons for directory, archive, git and local sources."""

from __future__ import annotations

import io
import os
import pickle
import posixpath
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import tracemalloc
import types
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest
from starcoder_data.readers import (
    ReaderConfig,
    RepoSpec,
    common,
    discover_repos,
    evidence,
    local_corpus_roots,
    read_repo,
)
from starcoder_data.schema import RAW_FILE_SCHEMA

CONFIG = ReaderConfig()


@pytest.fixture
def fake_licenses(monkeypatch):
    """A stand-in licenses module: the license is the first line of the first license file."""
    module = types.ModuleType("starcoder_data.licenses")

    def is_license_file(path):
        name = posixpath.basename(path).upper()
        return name.startswith(("LICENSE", "COPYING")) or path in ("METADATA", "debian/copyright")

    def detect_repo_license(files):
        source = sorted(files)[0]
        return SimpleNamespace(spdx=files[source].split(b"\n")[0].decode(), source=source)

    module.is_license_file = is_license_file
    module.detect_repo_license = detect_repo_license
    monkeypatch.setitem(sys.modules, "starcoder_data.licenses", module)
    common._detect_license_once.cache_clear()
    yield
    common._detect_license_once.cache_clear()


def _rows(spec, config=CONFIG):
    batches = list(read_repo(spec, config))
    assert all(batch.schema == RAW_FILE_SCHEMA for batch in batches)
    return pa.concat_tables(batches).to_pylist()


def _brief(rows):
    return [(r["path"], r["size"], r["data"], r["drop_reason"]) for r in rows]


def _snapshot(root):
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            info = os.lstat(full)
            found[full] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return found


def _write(path, data=b""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def repos(tmp_path):
    root = tmp_path / "repos"
    alpha = root / "alpha"
    _write(alpha / "LICENSE", b"MIT\nPermission is hereby granted\n")
    _write(alpha / "README.md", b"# alpha\n")
    _write(alpha / "src" / "main.py", b"print('hi')\n")
    _write(alpha / "img.bin", b"\x89PNG\r\n\x1a\n\x00\x00")
    _write(alpha / "bad.txt", b"caf\xe9\n")
    with open(alpha / "big.txt", "wb") as handle:
        handle.truncate(50_000_000)  # sparse: 50 MB on one line, no disk used
    _write(alpha / ".git" / "config", b"[core]\n")
    os.symlink("loop_b", alpha / "loop_a")
    os.symlink("loop_a", alpha / "loop_b")
    os.symlink("..", alpha / "src" / "up")
    os.symlink("src/main.py", alpha / "link.py")
    os.symlink("missing.py", alpha / "dangling.py")
    (root / "empty").mkdir()
    _write(root / "beta" / "x.py", b"x = 1\n")
    _write(root / "loose.txt", b"not a repo\n")
    return root


def test_directory_repo_rows(repos, fake_licenses):
    before = _snapshot(repos.parent)
    spec = RepoSpec(kind="directory", location=str(repos / "alpha"), name="alpha")
    _rows(spec)  # warm up: the first call imports modules, which tracemalloc would count
    tracemalloc.start()
    rows = _rows(spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000  # the 50 MB file was never read
    assert _brief(rows) == [
        ("LICENSE", 33, b"MIT\nPermission is hereby granted\n", None),
        ("README.md", 8, b"# alpha\n", None),
        ("bad.txt", 5, b"caf\xe9\n", None),
        ("big.txt", 50_000_000, None, "read:too_large"),
        ("dangling.py", 0, None, "read:symlink"),
        ("img.bin", 10, b"\x89PNG\r\n\x1a\n\x00\x00", None),
        ("link.py", 0, None, "read:symlink"),
        ("loop_a", 0, None, "read:symlink_loop"),
        ("loop_b", 0, None, "read:symlink_loop"),
        ("src/main.py", 12, b"print('hi')\n", None),
        ("src/up", 0, None, "read:symlink_loop"),
    ]
    assert {
        (r["repo"], r["source"], r["license"], r["license_source"], r["stars"]) for r in rows
    } == {("alpha", f"directory:{repos / 'alpha'}", "MIT", "LICENSE", None)}
    assert _snapshot(repos.parent) == before


def test_discover_directory_repos(repos, fake_licenses):
    specs = discover_repos("directory", str(repos))
    assert [(s.name, s.location) for s in specs] == [
        ("alpha", str(repos / "alpha")),
        ("beta", str(repos / "beta")),
        ("empty", str(repos / "empty")),
    ]
    empty = _rows(specs[2])
    assert [(r["repo"], r["path"], r["size"], r["drop_reason"], r["license"]) for r in empty] == [
        ("empty", "", 0, "read:empty_repo", None)
    ]
    assert _brief(_rows(specs[1])) == [("x.py", 6, b"x = 1\n", None)]


def test_missing_directory_is_one_unreadable_row(tmp_path, fake_licenses):
    (spec,) = discover_repos("directory", str(tmp_path / "nope"))
    assert _brief(_rows(spec)) == [("", 0, None, "read:unreadable")]


NOBODY = 65534  # the unprivileged user and group of Debian and most Linux systems


def _brief_as_nobody(spec) -> list:
    """``_brief(_rows(spec))`` read by a forked child that dropped root for ``nobody``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(_brief(_rows(spec)), out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, "the unprivileged reader failed"
    return pickle.loads(data)


def test_unreadable_file_without_permission(tmp_path, fake_licenses):
    # root reads any file: as root the same read runs as `nobody`, in a folder it may enter
    root = Path(tempfile.mkdtemp()) if os.geteuid() == 0 else tmp_path
    try:
        os.chmod(root, 0o755)
        _write(root / "r" / "ok.py", b"ok\n")
        _write(root / "r" / "secret.py", b"secret\n")
        os.chmod(root / "r" / "secret.py", 0)
        spec = RepoSpec(kind="directory", location=str(root / "r"), name="r")
        brief = _brief_as_nobody(spec) if os.geteuid() == 0 else _brief(_rows(spec))
    finally:
        os.chmod(root / "r" / "secret.py", stat.S_IRUSR | stat.S_IWUSR)
        if root != tmp_path:
            shutil.rmtree(root)
    assert brief == [("ok.py", 3, b"ok\n", None), ("secret.py", 7, None, "read:unreadable")]


def test_io_error_is_unreadable_not_a_crash(tmp_path, fake_licenses, monkeypatch):
    _write(tmp_path / "r" / "ok.py", b"ok\n")
    _write(tmp_path / "r" / "broken.py", b"broken\n")
    real_open = os.open

    def failing_open(path, flags, *args):
        if str(path).endswith("broken.py"):
            raise OSError(5, "Input/output error")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", failing_open)
    rows = _rows(RepoSpec(kind="directory", location=str(tmp_path / "r"), name="r"))
    assert _brief(rows) == [("broken.py", 7, None, "read:unreadable"), ("ok.py", 3, b"ok\n", None)]


def test_batches_are_bounded_by_batch_bytes(tmp_path, fake_licenses):
    for i in range(10):
        _write(tmp_path / "r" / f"f{i}.py", b"x" * 100)
    config = ReaderConfig(max_file_bytes=100, batch_bytes=250)
    batches = list(
        read_repo(RepoSpec(kind="directory", location=str(tmp_path / "r"), name="r"), config)
    )
    assert [b.num_rows for b in batches] == [1] * 10
    assert all(sum(len(d) for d in b["data"].to_pylist()) <= 250 for b in batches)
    with pytest.raises(ValueError):
        ReaderConfig(max_file_bytes=100, batch_bytes=50)


def _tar_member(archive, name, data=b"", kind=tarfile.REGTYPE, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), target
    archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def archives(tmp_path):
    root = tmp_path / "archives"
    root.mkdir()
    with tarfile.open(root / "proj-1.0.tar.gz", "w:gz") as archive:
        _tar_member(archive, "proj-1.0", kind=tarfile.DIRTYPE)
        _tar_member(archive, "proj-1.0/LICENSE", b"Apache-2.0\n")
        _tar_member(archive, "proj-1.0/a.py", b"a = 1\n")
        _tar_member(archive, "proj-1.0/pkg/b.py", b"b = 2\n")
        _tar_member(archive, "proj-1.0/link", kind=tarfile.SYMTYPE, target="a.py")
        _tar_member(archive, "../evil.py", b"evil\n")
        _tar_member(archive, "/abs.py", b"abs\n")
    with zipfile.ZipFile(root / "proj.zip", "w") as archive:
        archive.writestr("proj/LICENSE", b"BSD-3-Clause\n")
        archive.writestr("proj/a.py", b"a = 1\n")
        archive.writestr("../evil.py", b"evil\n")
        archive.writestr(zipfile.ZipInfo("/abs.py"), b"abs\n")
        link = zipfile.ZipInfo("proj/link")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, b"a.py")
    with tarfile.open(root / "flat.tar", "w") as archive:
        _tar_member(archive, "x.py", b"x\n")
        _tar_member(archive, "y/z.py", b"z\n")
    (root / "bad.tar.gz").write_bytes(b"not an archive")
    good = io.BytesIO()
    with tarfile.open(fileobj=good, mode="w:gz") as archive:
        _tar_member(archive, "t/a.py", os.urandom(100_000))
        _tar_member(archive, "t/b.py", b"b\n")
    (root / "truncated.tgz").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (root / "notes.txt").write_bytes(b"not an archive name\n")
    return root


def test_discover_archives(archives):
    specs = discover_repos("archive", str(archives))
    assert [s.name for s in specs] == ["bad", "flat", "proj-1.0", "proj", "truncated"]


def test_tar_archive_rows(archives, fake_licenses):
    before = _snapshot(archives.parent)
    (spec,) = discover_repos("archive", str(archives / "proj-1.0.tar.gz"))
    rows = _rows(spec)
    assert _brief(rows) == [
        ("../evil.py", 5, None, "read:unsafe_path"),
        ("/abs.py", 4, None, "read:unsafe_path"),
        ("LICENSE", 11, b"Apache-2.0\n", None),
        ("a.py", 6, b"a = 1\n", None),
        ("link", 0, None, "read:symlink"),
        ("pkg/b.py", 6, b"b = 2\n", None),
    ]
    assert {(r["repo"], r["source"], r["license"], r["license_source"]) for r in rows} == {
        ("proj-1.0", f"archive:{archives / 'proj-1.0.tar.gz'}", "Apache-2.0", "LICENSE")
    }
    assert _snapshot(archives.parent) == before  # nothing extracted


def test_zip_archive_rows(archives, fake_licenses):
    (spec,) = discover_repos("archive", str(archives / "proj.zip"))
    rows = _rows(spec)
    assert _brief(rows) == [
        ("../evil.py", 5, None, "read:unsafe_path"),
        ("/abs.py", 4, None, "read:unsafe_path"),
        ("LICENSE", 13, b"BSD-3-Clause\n", None),
        ("a.py", 6, b"a = 1\n", None),
        ("link", 0, None, "read:symlink"),
    ]
    assert {r["license"] for r in rows} == {"BSD-3-Clause"}


def test_archive_without_common_folder_keeps_paths(archives, fake_licenses):
    (spec,) = discover_repos("archive", str(archives / "flat.tar"))
    rows = _rows(spec)
    assert _brief(rows) == [("x.py", 2, b"x\n", None), ("y/z.py", 2, b"z\n", None)]
    assert {(r["license"], r["license_source"]) for r in rows} == {(None, None)}


@pytest.mark.parametrize(("name", "size"), [("bad.tar.gz", 14), ("truncated.tgz", None)])
def test_corrupt_archive_is_one_row(archives, fake_licenses, name, size):
    (spec,) = discover_repos("archive", str(archives / name))
    expected_size = size if size is not None else os.path.getsize(archives / name)
    assert _brief(_rows(spec)) == [("", expected_size, None, "read:corrupt_archive")]


def test_archive_member_over_limit_is_not_read(archives, fake_licenses):
    (spec,) = discover_repos("archive", str(archives / "flat.tar"))
    rows = _rows(spec, ReaderConfig(max_file_bytes=1))
    assert _brief(rows) == [
        ("x.py", 2, None, "read:too_large"),
        ("y/z.py", 2, None, "read:too_large"),
    ]


def _git(cwd, *args):
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True).stdout.decode().strip()


@pytest.fixture
def git_repo(tmp_path):
    repo = tmp_path / "gitrepo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _write(repo / "LICENSE", b"BSD-3-Clause\n")
    _write(repo / "main.py", b"v = 1\n")
    _write(repo / "src" / "x.c", b"int x;\n")
    os.symlink("main.py", repo / "ln")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "tag", "v1")
    _write(repo / "main.py", b"v = 2\n")
    _write(repo / "untracked.py", b"not committed\n")
    _git(repo, "commit", "-q", "-am", "second")
    return repo


def _git_temp_dirs():
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("starcoder-git-")}


def test_git_repo_at_head(git_repo, fake_licenses):
    sha = _git(git_repo, "rev-parse", "HEAD")
    (spec,) = discover_repos("git", str(git_repo))
    assert (spec.name, spec.ref) == ("gitrepo", "HEAD")
    rows = _rows(spec)
    assert _brief(rows) == [
        ("LICENSE", 13, b"BSD-3-Clause\n", None),
        ("ln", 0, None, "read:symlink"),
        ("main.py", 6, b"v = 2\n", None),
        ("src/x.c", 7, b"int x;\n", None),
    ]
    assert {(r["source"], r["license"], r["license_source"]) for r in rows} == {
        (f"git:{git_repo}@{sha}", "BSD-3-Clause", "LICENSE")
    }


def test_git_repo_at_ref_and_over_limit(git_repo, fake_licenses):
    (spec,) = discover_repos("git", f"{git_repo}#v1")
    rows = _rows(spec, ReaderConfig(max_file_bytes=6))
    assert _brief(rows) == [
        ("LICENSE", 13, None, "read:too_large"),
        ("ln", 0, None, "read:symlink"),
        ("main.py", 6, b"v = 1\n", None),
        ("src/x.c", 7, None, "read:too_large"),
    ]
    assert rows[0]["source"] == f"git:{git_repo}@{_git(git_repo, 'rev-parse', 'v1^{commit}')}"


def test_git_url_is_cloned_to_a_removed_temp_dir(git_repo, fake_licenses):
    before = _git_temp_dirs()
    url = f"file://{git_repo}"
    (spec,) = discover_repos("git", url)
    assert spec.name == f"{git_repo.parent.name}/gitrepo"
    rows = _rows(spec)
    assert [r["path"] for r in rows] == ["LICENSE", "ln", "main.py", "src/x.c"]
    assert rows[0]["source"] == f"git:{url}@{_git(git_repo, 'rev-parse', 'HEAD')}"
    assert _git_temp_dirs() == before


def test_git_empty_and_missing_repos(tmp_path, fake_licenses):
    empty = tmp_path / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    (spec,) = discover_repos("git", str(empty))
    assert _brief(_rows(spec)) == [("", 0, None, "read:empty_repo")]
    (plain := tmp_path / "plain").mkdir()
    (spec,) = discover_repos("git", str(plain))
    assert _brief(_rows(spec)) == [("", 0, None, "read:unreadable")]
    (spec,) = discover_repos("git", "file:///nonexistent/repo.git")
    assert _brief(_rows(spec)) == [("", 0, None, "read:unreadable")]


def test_dist_info_license_files(tmp_path):
    site = tmp_path / "site"
    _write(site / "pkg" / "__init__.py", b"")
    dist = site / "pkg-1.0.dist-info"
    _write(dist / "METADATA", b"Metadata-Version: 2.4\nLicense-Expression: MIT\n")
    _write(dist / "top_level.txt", b"pkg\n")
    _write(dist / "licenses" / "LICENSE", b"MIT\n")
    _write(dist / "licenses" / "vendored" / "x" / "LICENSE", b"GPL\n")
    _write(dist / "RECORD", b"")
    other = site / "mod-2.0.dist-info"
    _write(other / "METADATA", b"Metadata-Version: 2.1\n")
    _write(other / "RECORD", b"mod.py,sha256=x,1\nmod-2.0.dist-info/METADATA,,\n")
    evidence._dist_info_by_top_level.cache_clear()
    assert evidence.dist_info_license_files(str(site), "pkg") == (
        ("METADATA", str(dist / "METADATA")),
        ("licenses/LICENSE", str(dist / "licenses" / "LICENSE")),
    )
    assert evidence.dist_info_license_files(str(site), "mod") == (
        ("METADATA", str(other / "METADATA")),
    )
    assert evidence.dist_info_license_files(str(site), "absent") == ()


def test_debian_license_files(tmp_path, monkeypatch):
    info, doc = tmp_path / "info", tmp_path / "doc"
    _write(
        info / "libfoo-dev:amd64.list", b"/usr/include\n/usr/include/foo\n/usr/include/foo/a.h\n"
    )
    _write(info / "libbar-dev.list", b"/usr/include\n/usr/include/foo\n/usr/include/foo/b.h\n")
    _write(info / "libbaz-dev.list", b"/usr/include/foo-x/c.h\n/usr/include/foo-x/d.h\n")
    _write(doc / "libfoo-dev" / "copyright", b"Format: ...\n")
    monkeypatch.setattr(evidence, "DPKG_INFO", str(info))
    monkeypatch.setattr(evidence, "DEBIAN_DOC", str(doc))
    evidence._dpkg_index.cache_clear()
    try:
        found = evidence.debian_license_files(["/usr/include/foo"])
        missing = evidence.debian_license_files(["/usr/include/foo-x"])
    finally:
        evidence._dpkg_index.cache_clear()
    assert found == (("debian/copyright", str(doc / "libfoo-dev" / "copyright")),)
    assert missing == ()


def test_local_corpus_finds_stdlib_and_site_packages():
    labels = {root.label for root in local_corpus_roots()}
    assert {"python-stdlib", "site-packages"} <= labels
    names = {spec.name for spec in discover_repos("local", "python-stdlib,site-packages")}
    assert "python-stdlib/json" in names
    assert any(name.startswith("site-packages/") for name in names)


def test_local_stdlib_json_is_psf_licensed():
    (spec,) = [
        s for s in discover_repos("local", "python-stdlib") if s.name == "python-stdlib/json"
    ]
    rows = _rows(spec)
    paths = [r["path"] for r in rows]
    assert {"json/__init__.py", "json/decoder.py", "json/encoder.py", "json/scanner.py"} <= set(
        paths
    )
    assert paths == sorted(paths) and not any("__pycache__" in p for p in paths)
    assert {(r["drop_reason"], r["license"], r["license_source"]) for r in rows} == {
        (None, "PSF-2.0", "LICENSE.txt")
    }
    assert {r["source"] for r in rows} == {f"local:{spec.location}"}
