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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BudgetConfig:
        """Build from a ``[budget]`` table; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown budget field(s): {', '.join(unknown)}")
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"budget.{key} must be a positive integer, got {value!r}")
        return cls(**data)


def load_project_config(path: str | Path) -> dict[str, Any]:
    """Read a project TOML file into {"frontend": FrontendConfig, "budget": BudgetConfig}.

    Sections not known yet are an error rather than silently ignored.
    """
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    known = {"frontend": FrontendConfig, "budget": BudgetConfig}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
    return {name: cls.from_dict(data.get(name, {})) for name, cls in known.items()}
