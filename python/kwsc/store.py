"""The dataset store: content-addressed cache plus immutable, versioned datasets.

Layout (ARCHITECTURE.md)::

    <store>/cache/audio/<sha256[:2]>/<sha256>.flac    decoded, resampled int16 audio
    <store>/cache/ingest/<key[:2]>/<key>.json         an item's ingest and validation result
    <store>/datasets/<version_id>/manifest.parquet    one row per input: accepted, rejected, duplicate
    <store>/datasets/<version_id>/lineage.json        inputs, config, frontend, code and packages
    <store>/datasets/<version_id>/report.md           counts that add up, rejects, duplicates, leakage

A version directory is written under a temporary name and renamed into place, so it appears
whole or not at all, and two builds of the same version cannot corrupt each other.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_STORE = "kwsc-store"


class StoreError(RuntimeError):
    """A version that does not exist, or an ambiguous version prefix."""


class Store:
    """A dataset store rooted at ``root`` (default: $KWSC_STORE, else ./kwsc-store)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root or os.environ.get("KWSC_STORE") or DEFAULT_STORE).resolve()

    @property
    def datasets(self) -> Path:
        """Folder of dataset versions."""
        return self.root / "datasets"

    def versions(self) -> list[str]:
        """Ids of the complete dataset versions, sorted."""
        if not self.datasets.is_dir():
            return []
        return sorted(p.name for p in self.datasets.iterdir() if p.is_dir() and not p.name.startswith("."))

    def resolve(self, version: str) -> Path:
        """The directory of a version given by its id or a unique prefix of it."""
        matches = [v for v in self.versions() if v.startswith(version)]
        if not matches:
            raise StoreError(f"no dataset version {version!r} in {self.datasets}")
        if len(matches) > 1:
            raise StoreError(f"dataset version prefix {version!r} is ambiguous: {', '.join(matches[:5])}")
        return self.datasets / matches[0]

    @property
    def models(self) -> Path:
        return self.root / "models"

    def resolve_model(self, model: str | os.PathLike[str]) -> Path:
        """A model folder given as a path (holding model.tflite) or as a model id or unique
        prefix under ``<store>/models``."""
        path = Path(model)
        if (path / "model.tflite").is_file():
            return path
        ids = (
            sorted(p.name for p in self.models.iterdir() if (p / "model.tflite").is_file())
            if self.models.is_dir()
            else []
        )
        matches = [m for m in ids if m.startswith(str(model))]
        if not matches:
            raise StoreError(f"no model {str(model)!r}: not a folder with model.tflite, nor an id in {self.models}")
        if len(matches) > 1:
            raise StoreError(f"model prefix {str(model)!r} is ambiguous: {', '.join(matches[:5])}")
        return self.models / matches[0]

    def has(self, version_id: str) -> bool:
        """Whether the complete version exists."""
        return (self.datasets / version_id / "lineage.json").is_file()

    def write_version(self, version_id: str, files: dict[str, bytes]) -> Path:
        """Create a version directory with ``files`` atomically; an existing one is kept as is."""
        target = self.datasets / version_id
        if self.has(version_id):
            return target
        self.datasets.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.datasets, prefix=f".{version_id}."))
        try:
            for name, data in files.items():
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp / name).write_bytes(data)
            try:
                os.rename(tmp, target)
            except OSError:
                if not self.has(version_id):  # lost a race to an incomplete directory: a real error
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return target

    def lineage(self, version: str) -> dict[str, Any]:
        """A version's lineage.json."""
        return json.loads((self.resolve(version) / "lineage.json").read_text())

    def manifest(self, version: str) -> list[dict[str, Any]]:
        """A version's manifest rows (dicts), in id order."""
        import pyarrow.parquet as pq

        return pq.read_table(self.resolve(version) / "manifest.parquet").to_pylist()
