"""Builds the `dmp` wheel with libdmp inside it.

`pip install bindings/python` (from the repository) runs `cargo build -p dmp-ffi --release`
and copies the shared library (`libdmp.so`, `libdmp.dylib`, `dmp.dll`) into the package, so
the installed package loads it from its own directory: no `DMP_LIBRARY`, no system install.
The wheel is then tagged for this platform (any Python 3: the binding is ctypes only).

Environment:
- `DMP_CARGO_PROFILE`: the cargo profile to build (`release` by default; `dev` reuses a debug
  build, e.g. in CI). `CARGO_TARGET_DIR` is honoured.
- `DMP_BUILD_LIBRARY=0`: build a pure wheel without the library; the package then finds an
  installed libdmp (see "Where the library is found" in README.md).

Everything the build writes (setuptools' `build/` and `*.egg-info`) goes to a temporary
directory removed at exit, so an install leaves the source tree as it was.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 carries bdist_wheel; older ones take it from `wheel`
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE = os.environ.get("DMP_BUILD_LIBRARY", "1") != "0"

if sys.platform == "win32":
    LIBRARY = "dmp.dll"
elif sys.platform == "darwin":
    LIBRARY = "libdmp.dylib"
else:
    LIBRARY = "libdmp.so"

SCRATCH = tempfile.mkdtemp(prefix="dmp-python-build-")
atexit.register(shutil.rmtree, SCRATCH, True)


def cargo_library() -> Path:
    """Builds dmp-ffi with cargo; the path of the shared library it made."""
    manifest = REPO / "Cargo.toml"
    if not (REPO / "dmp-ffi" / "Cargo.toml").is_file():
        sys.exit(
            f"dmp: cannot bundle libdmp: {REPO} is not the dmp repository (no dmp-ffi/Cargo.toml). "
            "Install from a clone of the repository, or set DMP_BUILD_LIBRARY=0 for a package "
            "that finds an installed libdmp."
        )
    if shutil.which("cargo") is None:
        sys.exit(
            "dmp: cannot bundle libdmp: cargo is not on PATH. Install Rust (https://rustup.rs), "
            "or set DMP_BUILD_LIBRARY=0 for a package that finds an installed libdmp."
        )
    profile = os.environ.get("DMP_CARGO_PROFILE", "release")
    cmd = ["cargo", "build", "--manifest-path", str(manifest), "-p", "dmp-ffi", "--profile", profile]
    print("dmp: " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--manifest-path", str(manifest)],
        check=True,
        capture_output=True,
    )
    target = Path(json.loads(meta.stdout)["target_directory"])
    lib = target / ("debug" if profile == "dev" else profile) / LIBRARY
    if not lib.is_file():
        sys.exit(f"dmp: cargo built dmp-ffi but {lib} is missing")
    return lib


class BuildWithLibrary(build_py):
    """The pure-Python files, plus libdmp copied next to them."""

    def run(self) -> None:
        super().run()
        if BUNDLE:
            dest = Path(self.build_lib) / "dmp" / LIBRARY
            shutil.copyfile(cargo_library(), dest)
            print(f"dmp: bundled {dest.name}", flush=True)


class PlatformWheel(bdist_wheel):
    """A wheel for this platform that any Python 3 can use (ctypes, no extension module)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = not BUNDLE

    def get_tag(self):
        python, abi, plat = super().get_tag()
        return ("py3", "none", plat) if BUNDLE else (python, abi, plat)


class LibraryDistribution(Distribution):
    """Says the package holds a binary (so the wheel is platform-specific) when it does."""

    def has_ext_modules(self) -> bool:
        return BUNDLE


setup(
    distclass=LibraryDistribution,
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
    options={
        "build": {"build_base": str(Path(SCRATCH) / "build")},
        "egg_info": {"egg_base": SCRATCH},
    },
)
