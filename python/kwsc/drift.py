"""Feature drift between two sets of int8 model inputs: PSI, two-sample KS and KL per coefficient.

Used by ``kwsc dataset drift BASE CURRENT`` to compare two dataset versions, two splits, or a
dataset with a folder of new recordings (field captures, see :func:`features_of_recordings`).
The inputs are what the model sees: int8 C-frontend features, shape ``(windows, frames, coeffs)``
(or already flattened frames ``(N, coeffs)``); every statistic is computed per coefficient over
frames, on the int8 values themselves (int8 quantisation steps, not log2 units).

Statistics (all in natural-log units where a logarithm is involved)

* PSI (population stability index): ``sum_i (q_i - p_i) ln(q_i / p_i)`` over bins, with ``p`` the
  base's and ``q`` the current set's proportions. It is the symmetric KL divergence
  ``KL(p||q) + KL(q||p)``. Rule of thumb (defaults): < 0.1 stable, 0.1-0.25 some shift
  ("warning"), >= 0.25 a major shift ("critical").
* KS: the two-sample Kolmogorov-Smirnov statistic ``D = max_x |F_base(x) - F_current(x)|`` (the
  largest gap between the empirical CDFs, 0..1), with its asymptotic critical value
  ``c(alpha) sqrt((n + m) / (n m))``, ``c(alpha) = sqrt(-ln(alpha / 2) / 2)`` (1.358 at alpha 0.05).
  For discrete (int8) data the asymptotic value is conservative.
* KL: ``KL(base || current) = sum_i p_i ln(p_i / q_i)`` in nats, on the same bins as PSI.

Binning (PSI and KL; both sides always share the same bins)

* ``bins=None``: natural bins, one per integer value (int8: the 256 values -128..127; only the
  range the two sides span is materialised, which gives the same result because a bin empty on
  both sides contributes nothing). Non-integer input needs edges or a bin count. The default of
  :func:`psi` and :func:`kl_divergence`.
* ``bins=k`` (int): ``k`` bins between the base's quantiles at 1/k, 2/k, ... (outer edges: the
  pooled minimum and maximum); duplicate edges from ties are merged, so int8 data that takes
  fewer than ``k`` values gets its natural bins. :func:`compare` uses deciles (``k = 10``) by
  default: the 0.1 / 0.25 rule of thumb was calibrated on deciles, and PSI grows with the
  number of bins. For two samples of one distribution PSI is about ``(K - 1) (1/n + 1/m)`` for
  ``K`` occupied bins: with learned normalisation (+-4 std spread over int8, K ~ 200 natural
  bins) and 4000 frames per side that is ~0.1, a false warning, against ~0.005 for deciles.
* ``bins=[e0, e1, ..., ek]``: fixed edges; bin i is ``[e_i, e_i+1)`` and the outer bins are open
  (values below e0 count in the first bin, values above ek in the last), so nothing is dropped.

Empty bins: a proportion of exactly 0 (a bin empty on one side) is replaced by ``epsilon``
(default 1e-4, a fraction, not a count) before the logarithms, without renormalising: the usual
PSI convention. A bin empty on both sides then contributes exactly 0 to PSI and KL; a bin empty
on one side only contributes ``(q - epsilon) ln(q / epsilon)`` to PSI (0.0046 for q = 1/1000,
0.43 for q = 5 %).

Frame sampling (:func:`compare`)

Frames of one window (and windows of one clip) are strongly correlated, and a dataset holds
millions of frames: a KS test at that size, or one that counts correlated frames as independent,
rejects a plain resample of the same data. :func:`compare` therefore

1. draws (seeded, deterministic) at most ``subsample`` frames per side (default
   :data:`DEFAULT_SUBSAMPLE`), spread over as many windows as possible: with at least that many
   windows, one random frame from each of ``subsample`` random windows (nearly independent
   observations); PSI and KL use the same frames;
2. takes as KS sample size the number of independent units behind the frames: the number of
   windows they come from, not the number of frames (for 3-D input; the rows of 2-D input are
   taken as independent). The per-window fractions below a value average to the empirical CDF,
   and each lies in [0, 1], so its variance is at most ``F (1 - F) / windows``: counting windows
   is conservative, counting frames is not (a resample of 150 one-second clips, 7350 frames,
   shows KS 0.075 against a frame-counted critical value of 0.03);
3. tests each coefficient at ``alpha / coefficients`` (Bonferroni), so that ``alpha`` is the
   chance that two samples of one distribution raise a KS warning on any coefficient (13 tests
   at 0.05 each would flag about half of all resamples).

With the defaults and a large dataset (>= 4000 windows per side) the KS warning fires for CDF
gaps above ~0.04.

Levels

Per coefficient: "critical" if PSI >= ``psi_critical``; "warning" if PSI >= ``psi_warning`` or
the KS statistic exceeds its critical value; "ok" otherwise. KS alone never makes a coefficient
critical: it is a significance test, not an effect size. The report's level is the worst
coefficient's; :attr:`DriftReport.exit_code` is 1 when it is "critical" (the CLI's exit code).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.config import FrontendConfig
from kwsc.features import quantize_window
from kwsc.frontend import Frontend, QuantParams
from kwsc.validate import expand_paths, load_audio

#: Default PSI thresholds (dimensionless): warning at >= 0.1, critical at >= 0.25.
DEFAULT_PSI_WARNING = 0.1
DEFAULT_PSI_CRITICAL = 0.25
#: Default family-wise significance level of the KS tests.
DEFAULT_ALPHA = 0.05
#: Proportion (fraction, not count) that replaces an empty bin's 0 in PSI and KL.
DEFAULT_EPSILON = 1e-4
#: Frames per side that :func:`compare` uses at most (seeded subsample spread over windows).
DEFAULT_SUBSAMPLE = 4000
#: :func:`compare`'s default binning: deciles of the base.
DEFAULT_BINS = 10
#: Natural binning refuses values spanning more integers than this (int16 data and wider).
MAX_NATURAL_BINS = 65536
#: Levels from best to worst.
LEVELS = ("ok", "warning", "critical")

Bins = int | Sequence[float] | np.ndarray | None


# --------------------------------------------------------------------------------------------
# Statistics


def _values(x: Any, what: str) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.size == 0:
        raise ValueError(f"{what} is empty")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got dtype {array.dtype}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains NaN or inf")
    return array


def _is_integer(x: np.ndarray) -> bool:
    return x.dtype.kind != "f" or bool(np.array_equal(x, np.rint(x)))


def bin_edges(base: np.ndarray, current: np.ndarray, bins: Bins = None) -> np.ndarray:
    """The shared bin edges (in the values' own units, float64) used by :func:`psi` and :func:`kl_divergence`.

    ``None``: natural integer bins (edges at half-integers over the range both sides span).
    ``int k``: k base-quantile bins; for integer values the edges are half-integers, the interior
    ones just above the smallest values ``v_j`` with ``F_base(v_j) >= j/k`` (so a value is never
    split between bins; ties merge bins), the outer ones half a step outside the pooled range;
    for other values the interior edges are the base's (interpolated) j/k quantiles and the
    outer ones the pooled minimum and maximum. A sequence: those edges, as given (strictly
    increasing, >= 2).
    """
    base, current = _values(base, "base"), _values(current, "current")
    if bins is None:
        for name, x in (("base", base), ("current", current)):
            if not _is_integer(x):
                raise ValueError(f"natural bins need integer values; {name} is not integer (pass bins)")
        lo = int(min(base.min(), current.min()))
        hi = int(max(base.max(), current.max()))
        if hi - lo >= MAX_NATURAL_BINS:
            raise ValueError(f"values span {hi - lo + 1} integers: too many natural bins (pass bins)")
        return np.arange(lo, hi + 2, dtype=np.float64) - 0.5
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise ValueError("bins must be >= 1")
        levels = np.arange(1, bins) / bins
        lo = float(min(base.min(), current.min()))
        hi = float(max(base.max(), current.max()))
        if _is_integer(base) and _is_integer(current):
            # the smallest observed values v_j with F_base(v_j) >= j/k end the lower bins
            inner = np.unique(np.quantile(base, levels, method="inverted_cdf")).astype(np.float64)
            return np.concatenate([[lo - 0.5], inner[inner < hi] + 0.5, [hi + 0.5]])
        inner = np.unique(np.quantile(base.astype(np.float64), levels))
        return np.concatenate([[lo], inner[(inner > lo) & (inner < hi)], [hi if hi > lo else lo + 1.0]])
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
        raise ValueError("bin edges must be a strictly increasing 1-D sequence of >= 2 finite values")
    return edges


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of ``edges`` (``[e_i, e_i+1)``, outer bins open-ended), int64."""
    index = np.searchsorted(edges[1:-1], np.asarray(values, dtype=np.float64).reshape(-1), side="right")
    return np.bincount(index, minlength=edges.size - 1).astype(np.int64)


def _proportions(counts: np.ndarray, epsilon: float) -> np.ndarray:
    if not 0 < epsilon < 1:
        raise ValueError("epsilon must be in (0, 1)")
    p = counts / counts.sum()
    return np.where(counts == 0, epsilon, p)


def psi(base: np.ndarray, current: np.ndarray, bins: Bins = None, epsilon: float = DEFAULT_EPSILON) -> float:
    """Population stability index of ``current`` against ``base`` (dimensionless, >= 0).

    ``base``, ``current``: the values of one coefficient (any shape, flattened; int8 steps or any
    unit). ``sum_i (q_i - p_i) ln(q_i / p_i)`` over the shared bins of :func:`bin_edges` (default:
    natural integer bins), with ``epsilon`` replacing an empty bin's proportion of 0.
    """
    edges = bin_edges(base, current, bins)
    p = _proportions(bin_counts(base, edges), epsilon)
    q = _proportions(bin_counts(current, edges), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def kl_divergence(base: np.ndarray, current: np.ndarray, bins: Bins = None, epsilon: float = DEFAULT_EPSILON) -> float:
    """``KL(base || current) = sum_i p_i ln(p_i / q_i)`` in nats on the shared bins (same binning
    and ``epsilon`` smoothing as :func:`psi`)."""
    edges = bin_edges(base, current, bins)
    p = _proportions(bin_counts(base, edges), epsilon)
    q = _proportions(bin_counts(current, edges), epsilon)
    return float(np.sum(p * np.log(p / q)))


def ks_statistic(base: np.ndarray, current: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic ``max_x |F_base(x) - F_current(x)|`` (0..1).

    Exact for ties (int8 data): both empirical CDFs are evaluated at every observed value.
    """
    a = np.sort(_values(base, "base").astype(np.float64))
    b = np.sort(_values(current, "current").astype(np.float64))
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_critical(n: int, m: int, alpha: float = DEFAULT_ALPHA) -> float:
    """Asymptotic critical value of the two-sample KS statistic for sample sizes ``n`` and ``m``:
    ``c(alpha) sqrt((n + m) / (n m))`` with ``c(alpha) = sqrt(-ln(alpha / 2) / 2)``.

    Reject "same distribution" at level ``alpha`` when the statistic exceeds it.
    """
    if n < 1 or m < 1:
        raise ValueError("sample sizes must be >= 1")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


# --------------------------------------------------------------------------------------------
# Frames and sampling


def frames_of(features: np.ndarray) -> np.ndarray:
    """``(windows, frames, coeffs)`` features as ``(windows * frames, coeffs)`` frames (a view
    when possible); 2-D input is returned as is."""
    array = np.asarray(features)
    if array.ndim == 2:
        return array
    if array.ndim != 3:
        raise ValueError(f"features must be (windows, frames, coeffs) or (frames, coeffs), got shape {array.shape}")
    return array.reshape(-1, array.shape[-1])


def sample_frames(features: np.ndarray, count: int | None, seed: int = 0) -> np.ndarray:
    """At most ``count`` frames, shape ``(<= count, coeffs)``, drawn deterministically from ``seed``.

    3-D ``(windows, frames, coeffs)`` input: the frames are spread over as many windows as
    possible: with at least ``count`` windows, one random frame from each of ``count`` random
    windows; otherwise every window gives ``count // windows`` random frames and
    ``count % windows`` random windows one more (no frame twice). 2-D input: ``count`` random rows
    without replacement. Input with at most ``count`` frames (or ``count=None``) is returned
    whole, flattened, in order.
    """
    return _sample(features, count, seed)[0]


def _sample(features: np.ndarray, count: int | None, seed: int) -> tuple[np.ndarray, int]:
    """:func:`sample_frames` and the number of independent units behind the frames: the windows
    they come from (3-D input), or the rows (2-D input, taken as independent)."""
    array = np.asarray(features)
    frames = frames_of(array)
    windows = array.shape[0] if array.ndim == 3 else frames.shape[0]
    if count is not None and count < 1:
        raise ValueError("subsample count must be >= 1")
    if count is None or frames.shape[0] <= count:
        return frames, min(windows, frames.shape[0])
    rng = np.random.default_rng(seed)
    if array.ndim == 2:
        return frames[np.sort(rng.choice(frames.shape[0], size=count, replace=False))], count
    per_window = array.shape[1]
    share, extra = divmod(count, windows)
    take = np.full(windows, share)
    take[rng.choice(windows, size=extra, replace=False)] += 1
    # a random permutation of each window's frame indexes; keep its first take[w] entries
    order = np.argsort(rng.random((windows, per_window)), axis=1)
    rows, cols = np.nonzero(np.arange(per_window)[None, :] < take[:, None])
    return array[rows, order[rows, cols]], int(np.count_nonzero(take))


# --------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class DriftResult:
    """Drift of one coefficient.

    ``psi`` and ``kl`` (nats) are dimensionless; ``ks`` and ``ks_critical`` are CDF gaps (0..1);
    means are in the features' units (int8 steps); the histogram (``edges``, ``base_counts``,
    ``current_counts``) is the binning PSI and KL were computed on, kept for plots.
    """

    name: str
    psi: float
    ks: float
    ks_critical: float
    kl: float
    level: str
    base_mean: float
    current_mean: float
    edges: list[float] = field(default_factory=list, repr=False)
    base_counts: list[int] = field(default_factory=list, repr=False)
    current_counts: list[int] = field(default_factory=list, repr=False)

    @property
    def ks_rejects(self) -> bool:
        """The KS test rejects "same distribution" (statistic above its critical value)."""
        return self.ks > self.ks_critical


@dataclass(frozen=True)
class DriftReport:
    """Per-coefficient drift of ``current`` against ``base`` and the settings that produced it.

    ``base_frames`` / ``current_frames``: frames given; ``base_used`` / ``current_used``: frames
    compared after subsampling. ``base_label`` / ``current_label`` name the two sides (free text,
    e.g. ``"v3 train"``, ``"field/"``).
    """

    results: list[DriftResult]
    psi_warning: float
    psi_critical: float
    alpha: float
    epsilon: float
    bins: str
    subsample: int | None
    seed: int
    base_frames: int
    current_frames: int
    base_used: int
    current_used: int
    base_effective_n: int
    current_effective_n: int
    base_label: str = "base"
    current_label: str = "current"

    @property
    def level(self) -> str:
        """The worst coefficient level: "ok", "warning" or "critical"."""
        return max((r.level for r in self.results), key=LEVELS.index, default="ok")

    @property
    def exit_code(self) -> int:
        """1 when any coefficient is critical, else 0 (for the CLI)."""
        return int(self.level == "critical")

    def worst(self, count: int = 3) -> list[DriftResult]:
        """The ``count`` coefficients with the highest PSI (ties: the lower index first)."""
        return sorted(self.results, key=lambda r: -r.psi)[:count]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (includes ``level`` and the per-coefficient histograms)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "results"}
        data["level"] = self.level
        data["results"] = [asdict(r) for r in self.results]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`from_json`)."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftReport:
        """Inverse of :meth:`to_dict` (``level`` is recomputed, not read)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and k != "results"}
        return cls(results=[DriftResult(**r) for r in data["results"]], **values)

    @classmethod
    def from_json(cls, text: str) -> DriftReport:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def format_table(self) -> str:
        """A Markdown table, one row per coefficient, and a summary line."""
        lines = [
            f"Drift of {self.current_label} against {self.base_label}: **{self.level}** "
            f"({self.base_used} vs {self.current_used} frames compared, of {self.base_frames} and "
            f"{self.current_frames}; PSI warning {self.psi_warning:g}, critical {self.psi_critical:g}; "
            f"KS alpha {self.alpha:g} over {len(self.results)} coefficients; bins {self.bins})",
            "",
            "| coefficient | PSI | KS | KS critical | KL (nats) | mean base | mean current | level |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.results:
            ks = f"**{r.ks:.4f}**" if r.ks_rejects else f"{r.ks:.4f}"
            level = r.level if r.level == "ok" else f"**{r.level}**"
            lines.append(
                f"| {r.name} | {r.psi:.4f} | {ks} | {r.ks_critical:.4f} | {r.kl:.4f} | "
                f"{r.base_mean:.2f} | {r.current_mean:.2f} | {level} |"
            )
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike[str], top: int = 3) -> None:
        """Write a PNG: PSI per coefficient (bars coloured by level) with the two thresholds, and
        the base and current histograms (on the PSI bins, as densities: fraction of frames per
        feature unit, i.e. per int8 step) of the ``top`` most drifted coefficients overlaid."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        colours = {"ok": "tab:green", "warning": "tab:orange", "critical": "tab:red"}
        worst = self.worst(top)
        figure = Figure(figsize=(max(8.0, 3.2 * len(worst)), 7.0))
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(2, max(len(worst), 1))
        bars = figure.add_subplot(grid[0, :])
        x = np.arange(len(self.results))
        bars.bar(x, [r.psi for r in self.results], color=[colours[r.level] for r in self.results])
        bars.axhline(self.psi_warning, color="tab:orange", linestyle="--", label=f"warning {self.psi_warning:g}")
        bars.axhline(self.psi_critical, color="tab:red", linestyle="--", label=f"critical {self.psi_critical:g}")
        bars.set_xticks(x, [r.name for r in self.results], rotation=45 if len(self.results) > 16 else 0)
        bars.set_ylabel("PSI")
        bars.set_title(f"{self.current_label} vs {self.base_label}: {self.level}")
        bars.legend(loc="upper right")
        for k, r in enumerate(worst):
            axis = figure.add_subplot(grid[1, k])
            edges = np.asarray(r.edges)
            if edges.size >= 2:  # density: bins (deciles) differ in width
                widths = np.diff(edges)
                base = np.asarray(r.base_counts) / max(sum(r.base_counts), 1) / widths
                current = np.asarray(r.current_counts) / max(sum(r.current_counts), 1) / widths
                axis.stairs(base, edges, fill=True, alpha=0.45, label=self.base_label)
                axis.stairs(current, edges, fill=True, alpha=0.45, label=self.current_label)
            axis.set_title(f"{r.name}: PSI {r.psi:.3f}, KS {r.ks:.3f}", fontsize=9)
            axis.set_xlabel("feature value")
            if k == 0:
                axis.set_ylabel("fraction of frames per unit")
                axis.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(Path(path), dpi=100, format="png")


def _level(psi_value: float, ks: float, critical: float, psi_warning: float, psi_critical: float) -> str:
    if psi_value >= psi_critical:
        return "critical"
    if psi_value >= psi_warning or ks > critical:
        return "warning"
    return "ok"


def compare(
    base: np.ndarray,
    current: np.ndarray,
    names: Sequence[str] | None = None,
    psi_warning: float = DEFAULT_PSI_WARNING,
    psi_critical: float = DEFAULT_PSI_CRITICAL,
    alpha: float = DEFAULT_ALPHA,
    subsample: int | None = DEFAULT_SUBSAMPLE,
    *,
    seed: int = 0,
    bins: Bins = DEFAULT_BINS,
    epsilon: float = DEFAULT_EPSILON,
    base_label: str = "base",
    current_label: str = "current",
) -> DriftReport:
    """Per-coefficient drift of ``current`` against ``base``.

    ``base`` and ``current``: features ``(windows, frames, coeffs)`` (preferred: the KS sample
    size is then the number of windows) or frames ``(N, coeffs)`` taken as independent; int8
    model inputs, or any numeric features. ``names`` label the coefficients (default ``c0``,
    ``c1``, ...). At most ``subsample`` frames per side are compared (``None``: all), drawn with
    :func:`sample_frames` from ``seed`` (base) and ``seed + 1`` (current). ``bins`` and
    ``epsilon``: as for :func:`psi` (default: base deciles). PSI thresholds are dimensionless;
    ``alpha`` is the family-wise KS level (each coefficient at ``alpha / coeffs``). Levels: PSI
    >= ``psi_critical`` is critical; PSI >= ``psi_warning`` or KS above its critical value is a
    warning (module docstring).
    """
    if not 0 <= psi_warning <= psi_critical:
        raise ValueError("need 0 <= psi_warning <= psi_critical")
    base_frames, current_frames = frames_of(base), frames_of(current)
    coeffs = base_frames.shape[1]
    if current_frames.shape[1] != coeffs:
        raise ValueError(f"base has {coeffs} coefficients, current {current_frames.shape[1]}")
    if base_frames.shape[0] == 0 or current_frames.shape[0] == 0:
        raise ValueError("base and current need at least one frame each")
    names = list(names) if names is not None else [f"c{k}" for k in range(coeffs)]
    if len(names) != coeffs:
        raise ValueError(f"{len(names)} names for {coeffs} coefficients")
    a, n = _sample(base, subsample, seed)
    b, m = _sample(current, subsample, seed + 1)
    critical = ks_critical(n, m, alpha / coeffs)
    results = []
    for k, name in enumerate(names):
        x, y = a[:, k], b[:, k]
        edges = bin_edges(x, y, bins)
        base_counts, current_counts = bin_counts(x, edges), bin_counts(y, edges)
        p, q = _proportions(base_counts, epsilon), _proportions(current_counts, epsilon)
        psi_value = float(np.sum((q - p) * np.log(q / p)))
        kl = float(np.sum(p * np.log(p / q)))
        ks = ks_statistic(x, y)
        results.append(
            DriftResult(
                name=str(name),
                psi=psi_value,
                ks=ks,
                ks_critical=critical,
                kl=kl,
                level=_level(psi_value, ks, critical, psi_warning, psi_critical),
                base_mean=float(np.mean(x)),
                current_mean=float(np.mean(y)),
                edges=edges.tolist(),
                base_counts=base_counts.tolist(),
                current_counts=current_counts.tolist(),
            )
        )
    return DriftReport(
        results=results,
        psi_warning=psi_warning,
        psi_critical=psi_critical,
        alpha=alpha,
        epsilon=epsilon,
        bins=_describe_bins(bins),
        subsample=subsample,
        seed=seed,
        base_frames=int(base_frames.shape[0]),
        current_frames=int(current_frames.shape[0]),
        base_used=int(a.shape[0]),
        current_used=int(b.shape[0]),
        base_effective_n=n,
        current_effective_n=m,
        base_label=base_label,
        current_label=current_label,
    )


def _describe_bins(bins: Bins) -> str:
    if bins is None:
        return "natural (one per integer value)"
    if isinstance(bins, int | np.integer):
        return f"{int(bins)} base-quantile bins"
    return "edges " + ",".join(f"{float(e):g}" for e in np.asarray(bins).reshape(-1))


# --------------------------------------------------------------------------------------------
# New recordings


def features_of_recordings(
    paths: Sequence[str | os.PathLike[str]],
    frontend_config: FrontendConfig | None = None,
    quant_params: QuantParams | None = None,
    window_frames: int = 49,
    stride_frames: int | None = None,
    *,
    resample: bool = False,
    downmix: bool = False,
    relative_c0: bool = False,
) -> np.ndarray:
    """int8 model windows ``(windows, window_frames, coeffs)`` of audio files, like a dataset's.

    Each file (folders are expanded to the audio files under them) is decoded to mono int16 at
    the frontend's rate with :func:`kwsc.validate.load_audio` (``resample``/``downmix`` allow
    other rates / multichannel files; otherwise such files raise ValueError). Each recording is
    cut into windows of ``window_frames`` frames (window_samples + (window_frames - 1) hops of
    audio; 49 frames = 1 s at the default 30 ms window and 20 ms hop) every ``stride_frames``
    frames (default: half a window); a recording shorter than one window is centred in one
    zero-filled window, as dataset windows are zero-filled. Every window goes through
    :class:`kwsc.Frontend` from a fresh state (as on the device) and is quantised with
    ``quant_params`` (default ``QuantParams.default()``; pass the dataset's learned parameters
    to compare with a dataset version, and its ``relative_c0``).
    """
    config = frontend_config or FrontendConfig()
    params = quant_params or QuantParams.default(config.num_ceps)
    if window_frames < 1:
        raise ValueError("window_frames must be >= 1")
    stride = stride_frames if stride_frames is not None else max(1, window_frames // 2)
    if stride < 1:
        raise ValueError("stride_frames must be >= 1")
    frontend = Frontend(config)
    width = config.window_samples + (window_frames - 1) * config.hop_samples
    hop = stride * config.hop_samples
    windows = []
    for path in expand_paths(paths):
        try:
            pcm = load_audio(path, config.sample_rate_hz, resample=resample, downmix=downmix)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        starts = range(0, pcm.size - width + 1, hop) if pcm.size >= width else [-((width - pcm.size) // 2)]
        for start in starts:
            window = np.zeros(width, np.int16)
            lo, hi = max(start, 0), min(start + width, pcm.size)
            window[lo - start : hi - start] = pcm[lo:hi]
            windows.append(quantize_window(frontend, frontend.process(window), params, relative_c0))
    if not windows:
        return np.zeros((0, window_frames, config.num_ceps), np.int8)
    return np.stack(windows)
