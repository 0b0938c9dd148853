"""The ``kwsc`` command line: a thin click layer over the library API.

Exit codes: 0 success, 1 a check failed, 2 usage or input error.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

import kwsc
from kwsc import reference, signals
from kwsc.config import FrontendConfig
from kwsc.frontend import CEPS_Q, Frontend, QuantParams


class InputError(click.ClickException):
    """Bad input file or value: exit code 2."""

    exit_code = 2


def _describe(config: FrontendConfig) -> str:
    return (
        f"{config.sample_rate_hz} Hz, {config.window_samples}-sample window, {config.hop_samples} hop, "
        f"{config.fft_size}-point FFT, {config.num_mel} mel bands {config.mel_low_hz}-{config.mel_high_hz} Hz, "
        f"{config.num_ceps} cepstra, pre-emphasis {config.preemph_q15 / 32768:.2f}"
    )


@click.group()
@click.version_option(kwsc.__version__, prog_name="kwsc")
def main() -> None:
    """kwsc compiles raw audio into keyword-spotting datasets and INT8 models for microcontrollers.

    Features come from one fixed-point C frontend that runs unchanged on the host and on the
    Cortex-M device.
    """


@main.command()
@click.option("--seconds", type=click.FloatRange(0.1, 600.0), default=3.0, show_default=True, help="Clip length.")
@click.option(
    "--level-dbfs", type=click.FloatRange(-90.0, 0.0), default=-26.0, show_default=True, help="Clip RMS level."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated clip.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG of the features here.")
def demo(seconds: float, level_dbfs: float, seed: int, plot: Path | None) -> None:
    """Run the main job (for now: the frontend on a generated clip) and print a summary."""
    config = FrontendConfig()
    frontend = Frontend(config)
    pcm = signals.speech_like(seconds, level_dbfs, seed=seed)
    click.echo(f"kwsc {kwsc.__version__}: fixed-point MFCC frontend on a generated clip")
    click.echo(f"  clip       {seconds:.2f} s speech-like synthetic audio, {level_dbfs:.0f} dBFS RMS, seed {seed}")
    click.echo(f"  frontend   {_describe(config)}")
    click.echo(f"  memory     state+scratch {frontend.memory_bytes:,} B, tables {frontend.tables_bytes:,} B")

    start = time.perf_counter()
    ceps = frontend.process(pcm)
    elapsed = time.perf_counter() - start
    features = frontend.quantize(ceps, QuantParams.default(config.num_ceps))
    click.echo(
        f"  features   {ceps.shape[0]} frames x {ceps.shape[1]} int16 Q{CEPS_Q} cepstra; int8 range "
        f"[{features.min()}, {features.max()}] (untrained default quantisation)"
    )

    ref = reference.mfcc(pcm, config)
    error = ceps / 2**CEPS_Q - ref
    click.echo(
        f"  accuracy   vs float64 reference: SNR {reference.snr_db(ref, ceps / 2**CEPS_Q):.1f} dB, "
        f"max |error| {np.abs(error).max():.4f} log2 units ({np.abs(error).max() * 3.0103:.3f} dB)"
    )

    frontend.reset()
    rng = np.random.default_rng(seed)
    bounds = np.cumsum(rng.integers(1, 4000, size=pcm.size // 1000 + 2))
    streamed = np.concatenate([frontend.push(chunk) for chunk in np.split(pcm, bounds[bounds < pcm.size])])
    click.echo(
        f"  streaming  random chunks of 1-4000 samples give identical frames: "
        f"{'yes' if np.array_equal(streamed, ceps) else 'NO'}"
    )
    click.echo(f"  speed      {seconds / max(elapsed, 1e-9):,.0f}x realtime on one core")
    if plot is not None:
        _plot_features(plot, pcm, ceps, config)
        click.echo(f"  plot       {plot}")
    if not np.array_equal(streamed, ceps):
        raise SystemExit(1)


def _plot_features(path: Path, pcm: np.ndarray, ceps: np.ndarray, config: FrontendConfig) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    t = np.arange(pcm.size) / config.sample_rate_hz
    axes[0].plot(t, pcm / 32768.0, linewidth=0.4)
    axes[0].set_ylabel("PCM (full scale)")
    frame_t = (np.arange(ceps.shape[0]) * config.hop_samples + config.window_samples / 2) / config.sample_rate_hz
    extent = (frame_t[0], frame_t[-1], -0.5, ceps.shape[1] - 0.5)
    image = axes[1].imshow((ceps / 2**CEPS_Q).T, aspect="auto", origin="lower", extent=extent, cmap="viridis")
    axes[1].set_ylabel("cepstral coefficient")
    axes[1].set_xlabel("time (s)")
    fig.colorbar(image, ax=axes, label="log2 units", shrink=0.8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _read_pcm(audio: Path, config: FrontendConfig) -> np.ndarray:
    """Mono int16 PCM of an audio file at the config's rate; a clear InputError otherwise."""
    import soundfile

    try:
        pcm, rate = soundfile.read(str(audio), dtype="int16", always_2d=True)
    except Exception as exc:  # soundfile raises several types for unreadable files
        raise InputError(f"{audio}: cannot decode audio ({exc})") from exc
    if rate != config.sample_rate_hz:
        raise InputError(f"{audio}: sample rate {rate} Hz, need {config.sample_rate_hz} Hz (resample first)")
    if pcm.shape[1] != 1:
        raise InputError(f"{audio}: {pcm.shape[1]} channels, need mono (downmix first)")
    if pcm.shape[0] == 0:
        raise InputError(f"{audio}: no samples")
    return np.ascontiguousarray(pcm[:, 0])


@main.command()
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output .npy file.")
@click.option("--int8", "as_int8", is_flag=True, help="Write int8 features (default quantisation) instead of int16 Q6.")
def features(audio: Path, out: Path, as_int8: bool) -> None:
    """Compute the frontend's features of a 16 kHz mono AUDIO file into an .npy file."""
    config = FrontendConfig()
    pcm = _read_pcm(audio, config)
    frontend = Frontend(config)
    result = frontend.process(pcm)
    if as_int8:
        result = frontend.quantize(result)
    np.save(out, result)
    seconds = pcm.size / config.sample_rate_hz
    click.echo(f"{audio}: {seconds:.2f} s -> {result.shape[0]} frames x {result.shape[1]} {result.dtype} -> {out}")


def _firmware_error(exc: Exception) -> click.ClickException:
    error = click.ClickException(str(exc))
    error.exit_code = 1
    return error


@main.group("firmware")
def firmware_group() -> None:
    """Build and run the Cortex-M4 firmware under QEMU (mps2-an386)."""


@firmware_group.command("build")
@click.option("--float-abi", type=click.Choice(["soft", "hard"]), default="soft", show_default=True)
@click.option("--force", is_flag=True, help="Rebuild even if a cached build matches the sources.")
def firmware_build(float_abi: str, force: bool) -> None:
    """Build the firmware (cached by a hash of its sources) and print where the ELF is."""
    from kwsc import firmware

    try:
        build = firmware.build(float_abi=float_abi, force=force)
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    click.echo(build.elf)


@firmware_group.command("run")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chunk", type=click.IntRange(1, 1 << 20), default=320, show_default=True, help="Samples per push.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the device's int16 cepstra (.npy).")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120, show_default=True, help="QEMU timeout, s.")
def firmware_run(audio: Path, chunk: int, out: Path | None, timeout: float) -> None:
    """Run the frontend on the firmware under QEMU and compare it bit for bit with the host."""
    from kwsc import firmware

    pcm = _read_pcm(audio, FrontendConfig())
    try:
        build = firmware.build()
        device = firmware.run_frontend(build, pcm, chunk_samples=chunk)
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    frontend = Frontend()
    host = frontend.process(pcm)
    same = np.array_equal(device.ceps, host) and np.array_equal(device.int8, frontend.quantize(host))
    click.echo(f"{audio}: {device.ceps.shape[0]} frames on the Cortex-M4 (QEMU), chunks of {chunk} samples")
    click.echo(f"  host vs device int16 and int8 features: {'bit-identical' if same else 'DIFFERENT'}")
    click.echo(f"  frontend stack {device.stack_bytes} B, state {device.memory_bytes} B")
    if out is not None:
        np.save(out, device.ceps)
    if not same:
        raise SystemExit(1)


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [budget] (and [frontend]) to use.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one entry per component.")
def footprint(config_path: Path | None, as_json: bool) -> None:
    """Flash and RAM per component on the Cortex-M4, instructions per frame, and budget checks.

    Exit code 1 when a budget is exceeded (targets are reported, not enforced).
    """
    import json

    from kwsc import firmware
    from kwsc import footprint as fp
    from kwsc.config import BudgetConfig, ConfigError, load_project_config

    try:
        project = load_project_config(config_path) if config_path else {}
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    budget = project.get("budget", BudgetConfig())
    try:
        components = fp.measure(config=project.get("frontend", FrontendConfig()))
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    checks = fp.check_budgets(components, budget)
    if as_json:
        document = {name: c.to_dict() for name, c in components.items()}
        for check in checks:
            entry = document[check.component].setdefault("budgets", [])
            entry.append({"name": check.name, "value": check.value, "limit": check.limit, "hard": check.hard,
                          "ok": check.ok})  # fmt: skip
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(fp.format_table(components, checks))
    if any(check.hard and not check.ok for check in checks):
        raise SystemExit(1)
