"""Configuration objects shared by the library, the CLI and lineage records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range."""


@dataclass(frozen=True)
class FrontendConfig:
    """Parameters of the fixed-point MFCC frontend (mirrors ``kwsc_frontend_config`` in C).

    Attributes:
        sample_rate_hz: input sample rate in Hz (8000..48000; kwsc datasets use 16000).
        window_samples: analysis window length in samples (default 480 = 30 ms at 16 kHz).
        hop_samples: frame advance in samples (default 320 = 20 ms).
        fft_size: FFT length in samples, a power of two >= window_samples (default 512).
        num_mel: number of triangular mel bands (default 40).
        mel_low_hz: lower edge of the first mel triangle in Hz (default 60).
        mel_high_hz: upper edge of the last mel triangle in Hz (default 7600; fricatives
            such as /s/ carry energy above 4 kHz).
        num_ceps: cepstral coefficients kept, 1..num_mel (default 13).
        preemph_q15: pre-emphasis coefficient in Q15, 0 = off (31785 = 0.97).
    """

    sample_rate_hz: int = 16000
    window_samples: int = 480
    hop_samples: int = 320
    fft_size: int = 512
    num_mel: int = 40
    mel_low_hz: int = 60
    mel_high_hz: int = 7600
    num_ceps: int = 13
    preemph_q15: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"frontend.{f.name} must be an integer, got {value!r}")
        self._check()

    def _check(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        n = self.fft_size
        need(8000 <= self.sample_rate_hz <= 48000, "frontend.sample_rate_hz must be 8000..48000 Hz")
        need(32 <= n <= 4096 and n & (n - 1) == 0, "frontend.fft_size must be a power of two, 32..4096")
        need(16 <= self.window_samples <= n, "frontend.window_samples must be 16..fft_size")
        need(1 <= self.hop_samples <= self.window_samples, "frontend.hop_samples must be 1..window_samples")
        need(1 <= self.num_mel <= 128, "frontend.num_mel must be 1..128")
        need(1 <= self.num_ceps <= self.num_mel, "frontend.num_ceps must be 1..num_mel")
        need(0 <= self.mel_low_hz < self.mel_high_hz, "frontend.mel_low_hz must be >= 0 and < mel_high_hz")
        need(2 * self.mel_high_hz <= self.sample_rate_hz, "frontend.mel_high_hz must be <= sample_rate_hz / 2")
        need(0 <= self.preemph_q15 <= 32767, "frontend.preemph_q15 must be 0..32767 (Q15)")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrontendConfig:
        """Build from a mapping (e.g. a TOML ``[frontend]`` table); unknown keys are an error.

        ``preemphasis`` (a float in [0, 1)) is accepted as a convenience for ``preemph_q15``.
        """
        data = dict(data)
        known = {f.name for f in fields(cls)}
        if "preemphasis" in data:
            coefficient = float(data.pop("preemphasis"))
            if not 0.0 <= coefficient < 1.0:
                raise ConfigError("frontend.preemphasis must be in [0, 1)")
            data["preemph_q15"] = round(coefficient * 32768)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown frontend field(s): {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, int]:
        """Plain dict of all fields, for lineage and JSON."""
        return asdict(self)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the config; keys feature caches and lineage."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def frame_count(self, num_samples: int) -> int:
        """Frames a fresh frontend emits for a clip of ``num_samples`` samples."""
        if num_samples < self.window_samples:
            return 0
        return (num_samples - self.window_samples) // self.hop_samples + 1


@dataclass(frozen=True)
class BudgetConfig:
    """Device budgets (``[budget]`` in a project config), in bytes or instructions.

    Exceeding a budget fails ``kwsc footprint`` (exit code 1); a target is reported only.
    """

    frontend_ram_bytes: int = 16 * 1024
    frontend_tables_bytes: int = 16 * 1024
    frontend_ram_target_bytes: int = 4 * 1024
    frontend_flash_target_bytes: int = 8 * 1024
    frontend_instructions_target: int = 30_000
    model_flash_bytes: int = 64 * 1024  # exported model (weights, op table) + the kwsc_nn runtime
    model_ram_target_bytes: int = 32 * 1024  # arena + stack of an inference

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BudgetConfig:
        """Build from a ``[budget]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "budget")
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"budget.{key} must be a positive integer, got {value!r}")
        return cls(**data)


#: Checks applied by default per source kind (see kwsc.validate.RECORDING_REASONS): TTS output
#: is complete by construction, sentences are long, and its "background" is the fade of the
#: voice itself (no room, no mains: hum and tone checks only misfire there); real corpora clips
#: are often cut close; noise has no speech to check. Enrollment takes get every check.
DEFAULT_KIND_CHECKS: dict[str, tuple[str, ...]] = {
    "tts": ("too_quiet", "too_loud", "clipped", "dc_offset", "no_speech", "low_snr", "band_limited"),
    "real": ("too_quiet", "too_loud", "clipped", "dc_offset", "no_speech", "low_snr", "band_limited"),
    "noise": ("clipped", "dc_offset"),
}  # fmt: skip
DEFAULT_KIND_OVERRIDES: dict[str, dict[str, Any]] = {
    "tts": {"max_duration_s": 10.0},
    "real": {"max_duration_s": 10.0, "min_snr_db": 10.0},
    "noise": {"max_duration_s": 10.0},
}

#: The model architectures ``[model] arch`` (and ``kwsc train --arch``) may name; kwsc.train builds them.
ARCHITECTURES = ("dscnn", "cnn", "tcn")

KNOWN_SECTIONS = ("project", "keyword", "sources", "negatives", "validate", "split", "dedup", "ingest",
                  "augment", "features", "frontend", "budget", "model", "train", "detect", "eval")  # fmt: skip


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def check_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    """Raise ConfigError naming every key of ``table`` (a ``[where]`` table) not in ``known``."""
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown field(s) in [{where}]: {', '.join(unknown)}")


@dataclass(frozen=True)
class SplitConfig:
    """Group-hash splits: each group's hash of ``salt + group`` picks its split by ``fractions``
    (in order). A corpus source can pin its items to the corpus's own split instead
    (``official_split = true`` in its section). Groups matching a ``holdout`` pattern (shell
    style, e.g. ``"festival:*"`` for a whole TTS engine, ``"espeak-ng:en-gb-scotland*"`` for a
    voice family) go to the ``crossvoice`` split instead: never trained or tuned on, evaluated
    apart from the in-distribution test split."""

    fractions: tuple[tuple[str, float], ...] = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
    salt: str = "kwsc"
    holdout: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitConfig:
        """From a ``[split]`` table: fractions (table name -> fraction), salt, holdout patterns."""
        check_keys(data, {"fractions", "salt", "holdout"}, "split")
        fractions = tuple((str(k), float(v)) for k, v in data.get("fractions", dict(cls.fractions)).items())
        if not fractions or abs(sum(v for _, v in fractions) - 1.0) > 1e-9 or min(v for _, v in fractions) < 0:
            raise ConfigError("split.fractions must be non-negative and sum to 1")
        holdout = data.get("holdout", [])
        if not isinstance(holdout, list) or not all(isinstance(p, str) and p for p in holdout):
            raise ConfigError('split.holdout must be a list of group patterns, e.g. ["festival:*"]')
        if "crossvoice" in dict(fractions):
            raise ConfigError("split.fractions: 'crossvoice' is the held-out split's name, not a fraction")
        return cls(fractions, str(data.get("salt", cls.salt)), tuple(holdout))


@dataclass(frozen=True)
class DedupConfig:
    """Duplicate detection: exact (same PCM) always; near duplicates (re-encoded, re-gained,
    trimmed copies) when ``near`` is on: C-frontend fingerprints closer than
    ``fingerprint_distance`` (log2 units) whose speech spans differ by at most
    ``max_duration_difference_ms`` are candidates, confirmed when the waveforms' peak
    correlation is at least ``min_correlation`` (see kwsc.dedup for the measurements)."""

    near: bool = True
    fingerprint_distance: float = 0.45
    max_duration_difference_ms: float = 80.0
    min_correlation: float = 0.95

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DedupConfig:
        """From a ``[dedup]`` table."""
        check_keys(data, {f.name for f in fields(cls)}, "dedup")
        return cls(**data)


@dataclass(frozen=True)
class ProjectConfig:
    """A whole project file (see ARCHITECTURE.md): keyword, sources, negatives, validation,
    splits, dedup, frontend and budgets. ``raw`` keeps the parsed TOML for lineage."""

    name: str
    seed: int
    phrases: tuple[str, ...]
    labels: tuple[str, ...]
    sources: dict[str, dict[str, Any]]
    negatives: dict[str, Any]
    validate: dict[str, Any]
    split: SplitConfig
    dedup: DedupConfig
    ingest: dict[str, Any]
    augment: Any  # kwsc.augment.AugmentConfig, or None without an [augment] table (no variants)
    features: Any  # kwsc.features.FeatureConfig (imported late: features imports this module)
    frontend: FrontendConfig
    budget: BudgetConfig
    model: Any  # kwsc.train.ModelConfig
    train: Any  # kwsc.train.TrainConfig
    detect: Any  # kwsc.detector.DetectConfig
    eval: Any  # kwsc.evaluate.EvalConfig
    project_dir: str
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any], project_dir: str = ".") -> ProjectConfig:
        """Validate and build; an unknown section or field is an error."""
        check_keys(data, set(KNOWN_SECTIONS), "top level")
        project = _table(data, "project")
        check_keys(project, {"name", "seed"}, "project")
        keyword = _table(data, "keyword")
        check_keys(keyword, {"phrases", "labels"}, "keyword")
        phrases = tuple(str(p) for p in keyword.get("phrases", ()))
        if not phrases:
            raise ConfigError("[keyword] phrases must list at least one phrase")
        labels = tuple(str(x) for x in keyword.get("labels", [p.lower().replace(" ", "_") for p in phrases]))
        if len(labels) != len(phrases) or len(set(labels)) != len(labels):
            raise ConfigError("[keyword] labels must be unique, one per phrase")
        sources = _table(data, "sources")
        for name, section in sources.items():
            if not isinstance(section, dict) or "type" not in section:
                raise ConfigError(f"[sources.{name}] must be a table with a type")
        validate = _table(data, "validate")
        from kwsc.augment import AugmentConfig  # late imports: they import this module
        from kwsc.detector import DetectConfig
        from kwsc.evaluate import EvalConfig
        from kwsc.features import FeatureConfig
        from kwsc.train import ModelConfig, TrainConfig
        from kwsc.validate import ValidateConfig

        base = {k: v for k, v in validate.items() if not isinstance(v, dict)}
        for kind, table in validate.items():
            if isinstance(table, dict) and kind not in ("tts", "real", "noise", "enroll"):
                raise ConfigError(f"[validate.{kind}]: kind must be tts, real, noise or enroll")
        ValidateConfig.from_dict({**base})  # fail early on unknown keys
        config = cls(
            name=str(project.get("name", "kwsc-project")),
            seed=int(project.get("seed", 0)),
            phrases=phrases,
            labels=labels,
            sources={name: dict(section) for name, section in sources.items()},
            negatives=_table(data, "negatives"),
            validate=validate,
            split=SplitConfig.from_dict(_table(data, "split")),
            dedup=DedupConfig.from_dict(_table(data, "dedup")),
            ingest=_table(data, "ingest"),
            augment=AugmentConfig.from_dict(_table(data, "augment")) if "augment" in data else None,
            features=FeatureConfig.from_dict(_table(data, "features")),
            frontend=FrontendConfig.from_dict(_table(data, "frontend")),
            budget=BudgetConfig.from_dict(_table(data, "budget")),
            model=ModelConfig.from_dict(_table(data, "model")),
            train=TrainConfig.from_dict(_table(data, "train")),
            detect=DetectConfig.from_dict(_table(data, "detect")),
            eval=EvalConfig.from_dict(_table(data, "eval")),
            project_dir=str(project_dir),
            raw=data,
        )
        for kind in ("tts", "real", "noise", "enroll"):
            config.validate_config(kind)
        return config

    def validate_config(self, kind: str) -> Any:
        """The ValidateConfig for a source kind: kind defaults, then [validate], then [validate.<kind>]."""
        from kwsc.validate import ValidateConfig

        base = {k: v for k, v in self.validate.items() if not isinstance(v, dict)}
        values: dict[str, Any] = dict(DEFAULT_KIND_OVERRIDES.get(kind, {}))
        if kind in DEFAULT_KIND_CHECKS:
            values["checks"] = DEFAULT_KIND_CHECKS[kind]
        values.update(base)
        values.update(self.validate.get(kind, {}))
        return ValidateConfig.from_dict(values)


def load_project(path: str | Path) -> ProjectConfig:
    """Read and validate a project TOML file; relative paths in it resolve against its folder."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return ProjectConfig.from_dict(data, str(Path(path).resolve().parent))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_project_config(path: str | Path) -> dict[str, Any]:
    """The [frontend] and [budget] of a project file, as {"frontend": ..., "budget": ...}.

    Other sections are checked too (an unknown one is an error), but only these two returned.
    """
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    check_keys(data, set(KNOWN_SECTIONS), "top level")
    return {
        "frontend": FrontendConfig.from_dict(_table(data, "frontend")),
        "budget": BudgetConfig.from_dict(_table(data, "budget")),
    }
