"""Duplicates: exact copies by PCM hash, near copies by a C-frontend fingerprint and correlation.

Exact: the same int16 samples (same sha256): the item with the smallest id is kept, the others
are marked "duplicate" with a reference to it. A caller can rank items first (the build ranks
inputs of sections restricted to some splits last, so they never displace training clips).

Near (the same recording re-encoded, re-gained or trimmed): every accepted clip gets a
fingerprint from the C frontend's cepstra over its speech span: the mean and standard deviation
of c1..c12 (c0, the level, is left out, so a gain change does not matter; trimming silence does
not move the speech frames). Pairs whose fingerprints differ by less than
``fingerprint_distance`` log2 units per coefficient (mean absolute difference over the 24
numbers) and whose speech spans differ by at most ``max_duration_difference_ms`` (a copy keeps
its speech; another take rarely matches it within 80 ms) are candidates. A candidate pair is
a near duplicate when the peak normalised cross-correlation of the two waveforms (over all
lags, so trimming does not matter; a gain does not change it) is at least ``min_correlation``.
Measured on espeak-ng "alexa": re-gained and trimmed copies correlate 1.000, a Vorbis re-encode
0.997; the same word with other prosody 0.16 and another word 0.35, although their fingerprints
can be as close as a re-encode's (0.24 vs 0.36): cepstra alone cannot tell a re-encode from a
re-take, waveforms can. On examples/alexa.toml the threshold of 0.95 keeps espeak-ng
homophones ("lux", "lucks": 0.99) as duplicates and "lex"/"letts" (0.91) apart. Clusters are
joined transitively; each keeps its smallest id.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kwsc.config import DedupConfig, FrontendConfig
from kwsc.frontend import CEPS_Q, Frontend
from kwsc.ingest import load_pcm

#: Raise when a change to this module can change which clips are duplicates: the dataset
#: version id includes it, so the same inputs and config under other dedup code get another id.
DEDUP_VERSION = 1

#: Coefficients compared (c1..c12).
FIRST, LAST = 1, 13


@dataclass(frozen=True)
class Duplicate:
    """``id`` duplicates ``of`` (the kept item): "exact" or "near"; ``distance`` is 1 - the
    waveforms' peak correlation (0 for exact copies)."""

    id: str
    of: str
    kind: str
    distance: float


def speech_cepstra(pcm: np.ndarray, frontend: Frontend, start_ms: float, end_ms: float) -> np.ndarray:
    """int16 Q6 cepstra of the speech span [start_ms, end_ms) (the whole clip if it is empty)."""
    if pcm.size < frontend.config.window_samples:
        return np.zeros((0, frontend.config.num_ceps), np.int16)
    ceps = frontend.process(pcm)
    hop_ms = frontend.config.hop_samples * 1000 / frontend.config.sample_rate_hz
    start, end = int(start_ms // hop_ms), int(np.ceil(end_ms / hop_ms))
    span = ceps[start:end] if end > start else ceps
    return np.ascontiguousarray(span if span.shape[0] > 0 else ceps)


def fingerprint(ceps: np.ndarray) -> np.ndarray:
    """Mean and standard deviation of c1..c12 over frames, log2 units: 24 float64."""
    values = ceps[:, FIRST:LAST].astype(np.float64) / 2**CEPS_Q
    if values.shape[0] == 0:
        return np.full(2 * (LAST - FIRST), np.nan)
    return np.concatenate([values.mean(axis=0), values.std(axis=0)])


def exact_duplicates(ids: list[str], hashes: list[str], rank: list[int] | None = None) -> list[Duplicate]:
    """Items whose PCM hash equals an earlier one's: duplicates of that item. Earlier means a
    lower ``rank`` (default all 0), then a smaller id."""
    ranks = rank or [0] * len(ids)
    first: dict[str, str] = {}
    found = []
    for _, item_id, sha in sorted(zip(ranks, ids, hashes, strict=True)):
        if sha in first:
            found.append(Duplicate(item_id, first[sha], "exact", 0.0))
        else:
            first[sha] = item_id
    return found


def candidate_pairs(prints: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose fingerprints differ by < threshold (mean |difference|), sorted.

    A k-d tree finds the pairs within L1 radius threshold x dims without comparing all pairs.
    """
    from scipy.spatial import cKDTree

    if prints.ndim != 2 or prints.shape[0] < 2:
        return []
    valid = np.flatnonzero(~np.isnan(prints).any(axis=1))
    if valid.size < 2:
        return []
    radius = threshold * prints.shape[1]
    tree = cKDTree(prints[valid])
    found = tree.query_pairs(np.nextafter(radius, 0.0), p=1.0, output_type="ndarray")
    pairs = sorted((int(valid[a]), int(valid[b])) for a, b in found)
    return [(i, j) if i < j else (j, i) for i, j in pairs]


def peak_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Largest normalised cross-correlation of two waveforms over all lags (FFT), in [-1, 1]."""
    x = a.astype(np.float64) - a.mean()
    y = b.astype(np.float64) - b.mean()
    energy = np.sqrt(np.dot(x, x) * np.dot(y, y))
    if energy == 0:
        return 0.0
    n = 1 << int(np.ceil(np.log2(x.size + y.size)))
    correlation = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(y, n)), n)
    return float(correlation.max() / energy)


def near_duplicates(
    ids: list[str],
    waveform: Callable[[int], np.ndarray],
    prints: np.ndarray,
    speech_ms: np.ndarray,
    config: DedupConfig,
    progress: bool | None = None,
    rank: list[int] | None = None,
) -> list[Duplicate]:
    """Near-duplicate clusters among items: fingerprint candidates with similar speech spans
    (``speech_ms``, ms) confirmed by waveform correlation (``waveform(i)`` gives item i's
    samples, read only for candidates); each cluster keeps its item of lowest ``rank`` (default
    all 0), then smallest id, and the others are reported as its duplicates."""
    order = [(r, i) for r, i in zip(rank or [0] * len(ids), ids, strict=True)]
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    closest: dict[int, float] = {}
    pairs = [
        (i, j)
        for i, j in candidate_pairs(prints, config.fingerprint_distance)
        if abs(speech_ms[i] - speech_ms[j]) <= config.max_duration_difference_ms
    ]
    show = sys.stderr.isatty() if progress is None else progress
    for i, j in tqdm(pairs, desc="near duplicates: candidate pairs", disable=not show, unit="pair", leave=False):
        correlation = peak_correlation(waveform(i), waveform(j))
        if correlation >= config.min_correlation:
            a, b = root(i), root(j)
            if a != b:
                keep, drop = (a, b) if order[a] < order[b] else (b, a)
                parent[drop] = keep
            for k in (i, j):
                closest[k] = min(closest.get(k, 1.0), 1.0 - correlation)
    found = []
    for i in range(len(ids)):
        r = root(i)
        if r != i:
            found.append(Duplicate(ids[i], ids[r], "near", closest.get(i, 0.0)))
    return found


def fingerprint_item(args: tuple[str, str, float, float, FrontendConfig]) -> np.ndarray:
    """Fingerprint of one cached clip; args = (store, sha256, speech start ms, end ms, frontend)."""
    store, sha, start_ms, end_ms, frontend_config = args
    return fingerprint(speech_cepstra(load_pcm(Path(store), sha), Frontend(frontend_config), start_ms, end_ms))
