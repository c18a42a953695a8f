"""Find the Debian packages a PyInstaller bundle needs from the system.

    python3 packaging/linux/deb_depends.py BUNDLE_DIR [--declared "libc6, libgl1, ..."]

Reads every ELF file's NEEDED entries (objdump -p), drops the libraries the bundle carries
itself, resolves the rest through the dynamic linker's cache (ldconfig -p) and maps each file to
its package (dpkg -S). Also finds the newest glibc symbol version used, for `libc6 (>= X)`.
Prints one package per line. With --declared, exits 1 when a needed package is missing from
that Depends list, or a needed library is on no package at all: the .deb would then install
cleanly and fail at its first start on a machine without that library.
Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)")


def elf_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    files.append(path)
    return files


def needed(path: Path) -> list[str]:
    out = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def glibc_floor(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["objdump", "-T", str(path)], capture_output=True, text=True, check=True
    ).stdout
    versions = [(int(a), int(b)) for a, b in GLIBC.findall(out)]
    return max(versions, default=(0, 0))


def linker_cache() -> dict[str, str]:
    """Library file name -> path, in this machine's own multiarch folder when it has one."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    multiarch = sysconfig.get_config_var("MULTIARCH")
    cache: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        name, _, rest = line.strip().partition(" (")
        path = rest.partition(") => ")[2].strip()
        if not multiarch or f"/{multiarch}/" in path:
            cache.setdefault(name, path)
    return cache


def owner(path: str) -> str | None:
    """The package owning a library; searched as multiarch-dir/name so that both the /lib and
    the /usr/lib spelling of a merged-/usr system match."""
    pattern = "/".join(Path(path).parts[-2:])
    found = subprocess.run(["dpkg", "-S", pattern], capture_output=True, text=True)
    for line in found.stdout.splitlines():
        packages, _, owned = line.partition(": ")
        if owned.endswith("/" + pattern) and "," not in packages:
            return packages.split(":", 1)[0].strip()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--declared", help="the Depends line to check against")
    args = parser.parse_args()

    files = elf_files(args.bundle)
    carried = {p.name for p in args.bundle.rglob("*")}
    system_libs: dict[str, list[str]] = {}
    floor = (0, 0)
    for path in files:
        floor = max(floor, glibc_floor(path))
        for lib in needed(path):
            if lib not in carried:
                system_libs.setdefault(lib, []).append(str(path.relative_to(args.bundle)))

    cache = linker_cache()
    packages: dict[str, set[str]] = {}
    problems = []
    for lib, users in sorted(system_libs.items()):
        path = cache.get(lib)
        package = owner(path) if path else None
        if package is None:
            problems.append(f"{lib} (needed by {users[0]}) belongs to no installed package")
            continue
        packages.setdefault(package, set()).add(lib)

    for package, libs in sorted(packages.items()):
        suffix = f" (>= {floor[0]}.{floor[1]})" if package == "libc6" and floor > (0, 0) else ""
        print(f"{package}{suffix}\t# {', '.join(sorted(libs))}")

    if args.declared is not None:
        declared = {
            item.split("(")[0].strip()
            for alternative in args.declared.split(",")
            for item in alternative.split("|")
        }
        for package in sorted(packages):
            if package not in declared:
                problems.append(
                    f"{package} is needed ({', '.join(sorted(packages[package]))}) "
                    "but not in the Depends line"
                )
    for problem in problems:
        print(f"deb_depends: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
