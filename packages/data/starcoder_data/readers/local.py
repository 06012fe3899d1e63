"""The embedded default corpus: source trees already installed on this machine.

Every machine that runs the pipeline has some code on disk: the Python
standard library, the packages in site-packages, and on Debian-like systems C
headers, JavaScript and Perl libraries and the JDK's sources. Reading them
gives a real multi-language corpus with known licenses and no download.
"""

from __future__ import annotations

import os
import shutil
import site
import sysconfig
import zipfile
from dataclasses import dataclass

from .common import RepoSpec
from .evidence import (
    debian_license_files,
    dist_info_license_files,
    jdk_license_files,
    stdlib_license_files,
)

LOCAL_KIND = "local"
LOOSE_FILES = "_toplevel"  # repo name of a root's loose top-level files
_INSTALLED_EXCLUDE = (".git", "__pycache__")  # bytecode caches are not source

_DEBIAN_TREES = (
    ("usr-include", "/usr/include"),
    ("javascript", "/usr/share/javascript"),
    ("perl5", "/usr/share/perl5"),
)
_PERL_VERSIONS = "/usr/share/perl"
_JVM_DIR = "/usr/lib/jvm"


@dataclass(frozen=True, kw_only=True)
class LocalRoot:
    """One installed source tree: its label (the repo-name prefix), path and layout."""

    label: str
    path: str
    layout: str  # "python-stdlib" | "site-packages" | "debian-tree" | "jdk-src"


def local_corpus_roots() -> list[LocalRoot]:
    """The installed source trees that exist on this machine."""
    roots = [LocalRoot(label="python-stdlib", path=_stdlib(), layout="python-stdlib")]
    roots += [
        LocalRoot(label="site-packages", path=path, layout="site-packages")
        for path in _site_packages()
    ]
    for label, path in [*_DEBIAN_TREES, *_perl_trees()]:
        if os.path.isdir(path) and not os.path.islink(path):
            roots.append(LocalRoot(label=label, path=path, layout="debian-tree"))
    roots += [LocalRoot(label=label, path=path, layout="jdk-src") for label, path in _jdks()]
    return roots


def discover_local_repos(selection: str = "") -> list[RepoSpec]:
    """Repos of the local corpus; ``selection`` is comma-separated root labels (empty: all)."""
    wanted = {label.strip() for label in selection.split(",") if label.strip()}
    specs = []
    for root in local_corpus_roots():
        if not wanted or root.label in wanted:
            specs += _LAYOUTS[root.layout](root)
    return specs


def _stdlib() -> str:
    return os.path.realpath(sysconfig.get_paths()["stdlib"])


def _site_packages() -> list[str]:
    found = []
    for path in [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in found:
            found.append(real)
    return found


def _perl_trees() -> list[tuple[str, str]]:
    if not os.path.isdir(_PERL_VERSIONS):
        return []
    return [
        (f"perl-{version}", os.path.join(_PERL_VERSIONS, version))
        for version in sorted(os.listdir(_PERL_VERSIONS))
        if not os.path.islink(os.path.join(_PERL_VERSIONS, version))
    ]


def _jdks() -> list[tuple[str, str]]:
    """(JDK folder name, its src.zip) for every JDK with sources, once per src.zip."""
    homes = []
    if os.environ.get("JAVA_HOME"):
        homes.append(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java:
        homes.append(os.path.dirname(os.path.dirname(os.path.realpath(java))))
    if os.path.isdir(_JVM_DIR):
        homes += [os.path.join(_JVM_DIR, name) for name in sorted(os.listdir(_JVM_DIR))]
    found, seen = [], set()
    for home in homes:
        for zip_path in (os.path.join(home, "lib", "src.zip"), os.path.join(home, "src.zip")):
            real = os.path.realpath(zip_path)
            if os.path.isfile(real) and real not in seen:
                seen.add(real)
                found.append((os.path.basename(os.path.normpath(home)), zip_path))
    return found


def _is_module_entry(root: str, name: str) -> bool:
    """A top-level importable package folder or ``.py`` module under ``root``."""
    full = os.path.join(root, name)
    if os.path.islink(full) or name.startswith("__editable__"):
        return False
    if os.path.isdir(full):
        return name.isidentifier() and name != "__pycache__"
    return name.endswith(".py") and name[: -len(".py")].isidentifier()


def _stdlib_repos(root: LocalRoot) -> list[RepoSpec]:
    license_files = stdlib_license_files(root.path)
    return [
        _installed_spec(root, entry, license_files)
        for entry in sorted(os.listdir(root.path))
        if entry != "site-packages" and _is_module_entry(root.path, entry)
    ]


def _site_packages_repos(root: LocalRoot) -> list[RepoSpec]:
    return [
        _installed_spec(root, entry, dist_info_license_files(root.path, _module_name(entry)))
        for entry in sorted(os.listdir(root.path))
        if _is_module_entry(root.path, entry)
    ]


def _debian_tree_repos(root: LocalRoot) -> list[RepoSpec]:
    entries = sorted(os.listdir(root.path))
    folders = [e for e in entries if _is_real_dir(os.path.join(root.path, e))]
    loose = tuple(e for e in entries if e not in folders)
    specs = [
        _installed_spec(root, entry, debian_license_files([os.path.join(root.path, entry)]))
        for entry in folders
    ]
    if loose:
        license_files = debian_license_files([os.path.join(root.path, e) for e in loose])
        specs.append(
            RepoSpec(
                kind=LOCAL_KIND,
                location=root.path,
                name=f"{root.label}/{LOOSE_FILES}",
                root=root.path,
                include=loose,
                exclude=_INSTALLED_EXCLUDE,
                license_files=license_files,
            )
        )
    return specs


def _jdk_src_repos(root: LocalRoot) -> list[RepoSpec]:
    try:
        with zipfile.ZipFile(root.path) as archive:
            modules = sorted({name.split("/", 1)[0] for name in archive.namelist() if "/" in name})
    except (OSError, zipfile.BadZipFile):
        modules = []
    jdk_home = os.path.dirname(os.path.dirname(root.path))
    if os.path.basename(os.path.dirname(root.path)) != "lib":
        jdk_home = os.path.dirname(root.path)
    return [
        RepoSpec(
            kind=LOCAL_KIND,
            location=f"{root.path}!/{module}",
            name=f"{root.label}/{module}",
            root=root.path,
            include=(module,),
            license_files=jdk_license_files(jdk_home, module),
        )
        for module in modules
    ]


def _installed_spec(root: LocalRoot, entry: str, license_files) -> RepoSpec:
    return RepoSpec(
        kind=LOCAL_KIND,
        location=os.path.join(root.path, entry),
        name=f"{root.label}/{_module_name(entry)}",
        root=root.path,
        include=(entry,),
        exclude=_INSTALLED_EXCLUDE,
        license_files=license_files,
    )


def _module_name(entry: str) -> str:
    return entry[: -len(".py")] if entry.endswith(".py") else entry


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


_LAYOUTS = {
    "python-stdlib": _stdlib_repos,
    "site-packages": _site_packages_repos,
    "debian-tree": _debian_tree_repos,
    "jdk-src": _jdk_src_repos,
}
