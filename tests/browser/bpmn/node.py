"""npm packages for the browser tests (bpmn-js, axe-core), installed with npm into a cache
folder outside the repo.

The package is pinned; the first run installs it (a few seconds) into
``$ONEWINDOW_NODE_CACHE`` (default ``~/.cache/onewindow-node``), later runs reuse it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

BPMN_JS = "bpmn-js"
BPMN_JS_VERSION = "18.31.1"
PAGE = Path(__file__).parent / "viewer.html"


def cache_dir() -> Path:
    """Where node packages for the tests live (never inside the repository)."""
    default = Path.home() / ".cache" / "onewindow-node"
    return Path(os.environ.get("ONEWINDOW_NODE_CACHE", default))


def bpmn_viewer_script() -> Path:
    """The pinned ``bpmn-viewer.production.min.js``, installing bpmn-js when missing."""
    return npm_file(BPMN_JS, BPMN_JS_VERSION, "dist/bpmn-viewer.production.min.js")


def npm_file(package: str, version: str, path: str) -> Path:
    """A file of a pinned npm package, installing the package into the cache when missing.

    Raises ``RuntimeError`` naming the package when npm is missing or cannot install it.
    """
    folder = cache_dir() / f"{package}-{version}"
    script = folder / "node_modules" / package / path
    if script.is_file():
        return script
    npm = shutil.which("npm")
    spec = f"{package}@{version}"
    if npm is None:
        raise RuntimeError(f"npm is not installed: cannot install the npm package {spec} "
                           "that the browser tests need (apt-get install -y npm)")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if script.is_file():
            return script
        done = subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit",
                               "--no-fund", "--no-save", "--loglevel=error", spec],
                              capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not script.is_file():
        raise RuntimeError(f"npm could not install the npm package {spec} into {folder}:\n"
                           f"{done.stdout}{done.stderr}")
    return script
