"""Audio files as sources: the loader shared by every file-based source (corpora, enrollment)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kwsc.sources import Audio, SourceItem, register_loader


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


@register_loader("file")
def load_file(item: SourceItem) -> Audio:
    """Decode ``recipe["path"]`` with soundfile; ``recipe["start_s"]``/``["end_s"]`` cut a segment.

    Raises ValueError("unreadable: ...") when the file cannot be decoded.
    """
    import soundfile

    path = item.recipe["path"]
    try:
        with soundfile.SoundFile(path) as handle:
            rate = handle.samplerate
            start = round(float(item.recipe.get("start_s", 0.0)) * rate)
            end = item.recipe.get("end_s")
            frames = -1 if end is None else max(0, round(float(end) * rate) - start)
            handle.seek(start)
            samples = handle.read(frames, dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types for unreadable files
        raise ValueError(f"unreadable: {exc}") from exc
    return Audio(samples, rate)
