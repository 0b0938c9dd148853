"""The ``kwsc`` command line: a thin click layer over the library API.

Exit codes: 0 success, 1 a check failed, 2 usage or input error.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

import kwsc
from kwsc import reference, signals
from kwsc.config import ARCHITECTURES, FrontendConfig
from kwsc.frontend import CEPS_Q, Frontend, QuantParams
from kwsc.validate import ValidateConfig, Validation


class InputError(click.ClickException):
    """Bad input file or value: exit code 2."""

    exit_code = 2


_store_option = click.option(
    "--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), envvar="KWSC_STORE",
    help="Dataset store (default: $KWSC_STORE, else ./kwsc-store).",
)  # fmt: skip


def _describe(config: FrontendConfig) -> str:
    return (
        f"{config.sample_rate_hz} Hz, {config.window_samples}-sample window, {config.hop_samples} hop, "
        f"{config.fft_size}-point FFT, {config.num_mel} mel bands {config.mel_low_hz}-{config.mel_high_hz} Hz, "
        f"{config.num_ceps} cepstra, pre-emphasis {config.preemph_q15 / 32768:.2f}"
    )


#: The default wake-word project, relative to the checkout (the README runs the demo from there).
DEFAULT_EXAMPLE = Path("examples") / "alexa.toml"
#: The CI-sized project of ``kwsc demo --small``.
SMALL_EXAMPLE = Path("examples") / "small.toml"


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
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    help=f"Project to compile after the frontend check (default: {DEFAULT_EXAMPLE}, the default wake word).",
)  # fmt: skip
@click.option("--small", is_flag=True, help=f"Compile {SMALL_EXAMPLE} instead: the whole pipeline in minutes (CI).")
@click.option(
    "--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), envvar="KWSC_STORE",
    help="Dataset store (default: $KWSC_STORE, else ./kwsc-store).",
)  # fmt: skip
@click.option("--skip-build", is_flag=True, help="Only the frontend check; compile no dataset.")
def demo(
    seconds: float, level_dbfs: float, seed: int, plot: Path | None, config_path: Path | None, small: bool,
    store_dir: Path | None, skip_build: bool,
) -> None:  # fmt: skip
    """Run the main job and print a summary: the C frontend on a generated clip (accuracy,
    streaming, speed), then the default example compiled from nothing into a dataset version
    (sources, validation, dedup, splits, augmentation, features), an INT8 model (trained,
    quantized, checked against TFLite Micro, exported to C), the model and the streaming
    detector on the Cortex-M4 under QEMU (checked against the host), a streaming evaluation
    (FA/h, FRR, latency, DET curve, threshold) and a report. About 25 minutes on 2 cores from
    an empty store; --small runs a CI-sized project in a few minutes."""
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
    if skip_build:
        return
    config_path = config_path or (SMALL_EXAMPLE if small else DEFAULT_EXAMPLE)
    if not config_path.is_file():
        raise InputError(f"{config_path}: no such project file (run from the checkout, pass --config, or --skip-build)")
    _demo_pipeline(config_path, store_dir)


def _demo_pipeline(config_path: Path, store_dir: Path | None) -> None:
    """Compile ``config_path`` from nothing to a verified, evaluated model and say where it went."""
    import json

    from tqdm import tqdm

    from kwsc import firmware
    from kwsc.build import BuildError
    from kwsc.config import load_project
    from kwsc.pipeline import PipelineError, compile_model
    from kwsc.store import Store
    from kwsc.train import BudgetError

    project = load_project(config_path)
    store = Store(store_dir)
    click.echo(f"\nkwsc {kwsc.__version__}: compiling {config_path} ({project.name}) into {store.root}")

    def progress(items, description):  # type: ignore[no-untyped-def]
        return tqdm(items, desc=f"  {description}", unit="clip", leave=False)

    try:
        result = compile_model(project, store, log=lambda message: click.echo(f"  {message}", err=True),
                               progress=progress)  # fmt: skip
    except (BuildError, BudgetError, PipelineError) as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    lineage = store.lineage(result.version_id)
    c, features = lineage["counts"], lineage["features"]
    test, check = result.evaluation["test"], result.evaluation.get("device_check")
    folder = result.model_folder
    latency = "n/a" if test["latency_p95_s"] is None else f"{test['latency_p95_s'] * 1000:.0f} ms"
    reused = " (already built: reused)" if result.dataset_reused else ""
    click.echo(f"  dataset    {result.version_id}: {c['inputs']} inputs = {c['accepted']} accepted + "
               f"{c['rejected']} rejected + {c['duplicate']} duplicates; {c['augmented']} variants; "
               f"{features['windows']} int8 windows{reused}")  # fmt: skip
    click.echo(f"  model      {folder.name}: INT8 {(folder / 'model.tflite').stat().st_size:,} B, kwsc runtime "
               f"== TFLite Micro on every test window, == Cortex-M4 (QEMU) on {result.device_windows}")  # fmt: skip
    restarts = json.loads((folder / "lineage.json").read_text()).get("restarts")
    if restarts is not None:
        kept, runs = restarts["chosen"], restarts["candidates"]
        scores = ", ".join(f"{100 * r['validation_frr']:.1f}" for r in runs)
        click.echo(f"  restarts   seeds {runs[0]['seed']}-{runs[-1]['seed']}, validation FRR {scores} %: seed "
                   f"{kept['seed']} kept (model {kept['model'][:8]})")  # fmt: skip
    click.echo(f"  threshold  {result.evaluation['threshold']:.4f} for "
               f"{result.evaluation['config']['target_fa_per_hour']} FA/h on validation")  # fmt: skip
    click.echo(f"  test       {test['fa_per_hour']:.2f} FA/h ({test['false_accepts']} in "
               f"{test['negative_hours']:.2f} h), FRR {100 * test['frr']:.1f} % ({test['misses']} of "
               f"{test['trials']}), latency p95 {latency}")  # fmt: skip
    cross = result.evaluation.get("crossvoice")
    if cross is not None:
        click.echo(f"  crossvoice {cross['fa_per_hour']:.2f} FA/h ({cross['false_accepts']} in "
                   f"{cross['negative_hours']:.2f} h), FRR {100 * cross['frr']:.1f} % ({cross['misses']} of "
                   f"{cross['trials']}) on held-out voices ({', '.join(project.split.holdout)})")  # fmt: skip
    if check is not None:
        rate = check["instructions_per_second"] / 1e6
        click.echo(f"  device     detector on the Cortex-M4: {check['seconds']:.0f} s, records identical to the "
                   f"host's; {rate:,.0f} M instructions per second of audio")  # fmt: skip
    timings = ", ".join(f"{stage} {seconds:,.0f} s" for stage, seconds in result.timings.items())
    click.echo(f"  time       {timings}")
    click.echo(f"  dataset    {store.resolve(result.version_id)} (manifest.parquet, features/, report.md)")
    click.echo(f"  model      {folder} (model.tflite, kwsc_model.c/.h, meta.json, lineage.json)")
    click.echo(f"  report     {result.report} (and report.html; DET curve: det.png, det.json; eval.json)")


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
@click.argument("model", required=False)
@_store_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [budget] (and [frontend]) to use.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one entry per component.")
def footprint(model: str | None, store_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """Flash and RAM per component on the Cortex-M4, instructions per frame, and budget checks.

    With MODEL (a model folder, or a model id in the store), the model is exported and compiled
    into the firmware: its runtime and weights in flash, its arena and stack in RAM, its
    instructions per inference, and what the TensorFlow Lite Micro interpreter would need for
    the same model. Exit code 1 when a budget is exceeded (targets are reported, not enforced).
    """
    import json
    import tempfile

    from kwsc import firmware
    from kwsc import footprint as fp
    from kwsc.config import BudgetConfig, ConfigError, load_project_config

    try:
        project = load_project_config(config_path) if config_path else {}
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    budget = project.get("budget", BudgetConfig())
    tflm = None
    frontend_config = project.get("frontend", FrontendConfig())
    try:
        if model is None:
            components = fp.measure(firmware.build(), config=frontend_config)
        else:
            from kwsc.detector import DetectError
            from kwsc.export import ExportError
            from kwsc.store import Store, StoreError

            with tempfile.TemporaryDirectory(prefix="kwsc-footprint-") as tmp:
                try:
                    folder = Store(store_dir).resolve_model(model)
                    components = fp.measure_model(folder, frontend_config, export_dir=tmp)
                except (StoreError, ExportError, DetectError) as exc:
                    raise InputError(str(exc)) from exc
            tflm = fp.tflite_micro_comparison(folder / "model.tflite")
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    checks = fp.check_budgets(components, budget)
    if as_json:
        document = {name: c.to_dict() for name, c in components.items()}
        for check in checks:
            entry = document[check.component].setdefault("budgets", [])
            entry.append({"name": check.name, "value": check.value, "limit": check.limit, "hard": check.hard,
                          "ok": check.ok})  # fmt: skip
        if tflm is not None:
            document["tflite_micro"] = {"arena_bytes": tflm.arena_bytes, "flatbuffer_bytes": tflm.flatbuffer_bytes,
                                        "core_runtime_flash_bytes": tflm.core_runtime_flash_bytes,
                                        "flash_bytes_lower_bound": tflm.flash_bytes}  # fmt: skip
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(fp.format_table(components, checks))
        if tflm is not None:
            ours_flash = components["model"].flash_bytes + components["model runtime"].flash_bytes
            click.echo(
                f"\nTFLite Micro for the same model: arena {tflm.arena_bytes:,} B (its recording allocator, "
                f"x86-64 build) vs kwsc {components['model'].state_bytes:,} B; flash at least "
                f"{tflm.flash_bytes:,} B (the {tflm.flatbuffer_bytes:,} B flatbuffer + its stated 16 KB core "
                f"runtime, before op kernels) vs kwsc {ours_flash:,} B (weights, op table and runtime)"
            )
    if any(check.hard and not check.ok for check in checks):
        raise SystemExit(1)


def _load_validate_config(config_path: Path | None) -> tuple[ValidateConfig, FrontendConfig]:
    """The [validate] and [frontend] tables of a project TOML (defaults without one), checked
    against the C validator's ranges; any problem is an InputError (exit code 2)."""
    import tomllib

    from kwsc.config import ConfigError

    data: dict = {}
    if config_path is not None:
        try:
            with open(config_path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{config_path}: {exc}") from exc
    # load_project_config does not know [validate] yet: read the sections validation uses here.
    unknown = sorted(set(data) - {"frontend", "budget", "validate"})
    if unknown:
        raise InputError(f"{config_path}: unknown section(s): {', '.join(unknown)}")
    for name in ("frontend", "validate"):
        if not isinstance(data.get(name, {}), dict):
            raise InputError(f"{config_path}: [{name}] must be a table")
    if isinstance(data.get("validate", {}).get("checks"), str):  # tuple("clipped") would be its letters
        raise InputError(f'{config_path}: validate.checks must be a list, e.g. checks = ["clipped"]')
    try:
        frontend_config = FrontendConfig.from_dict(data.get("frontend", {}))
        config = ValidateConfig.from_dict(data.get("validate", {}))
        config.to_c(frontend_config)  # range checks now, not in a worker thread
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{config_path}: {exc}") from exc
    return config, frontend_config


def _reason_text(result: Validation) -> str:
    """Reason codes, with the detail of a file that never reached the validator."""
    if result.error:
        return f"{', '.join(result.reasons)}: {result.error}"
    return ", ".join(result.reasons)


def _validation_table(results: list[Validation], only_rejected: bool = False) -> str:
    """One line per file: path, status, speech level, SNR, speech span, clipped share, reasons."""
    header = ("file", "status", "speech dBFS", "SNR dB", "speech ms", "clipped %", "reasons")
    rows = []
    for r in results:
        if only_rejected and r.accepted:
            continue
        m = r.metrics
        if m:
            span = f"{m['speech_end_ms'] - m['speech_start_ms']:.0f}" if m["speech_runs"] else "-"
            numbers = (f"{m['speech_dbfs']:.1f}", f"{m['snr_db']:.1f}", span, f"{100 * m['clipped_fraction']:.2f}")
        else:
            numbers = ("-", "-", "-", "-")
        rows.append((str(r.path), r.status, *numbers, _reason_text(r)))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:-1], widths[2:], strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _summary(results: list[Validation]) -> str:
    """Counts (accepted + rejected = files) and rejected files per reason."""
    from collections import Counter

    accepted = sum(r.accepted for r in results)
    line = f"{len(results)} files: {accepted} accepted, {len(results) - accepted} rejected"
    by_reason = Counter(reason for r in results for reason in r.reasons)
    if by_reason:
        ordered = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
        line += "; rejects by reason: " + ", ".join(f"{name} {count}" for name, count in ordered)
    return line


def _conversion_hint(results: list[Validation], resample: bool, downmix: bool) -> str | None:
    reasons = {reason for r in results for reason in r.reasons}
    flags = (("--resample", "wrong_sample_rate", resample), ("--downmix", "multichannel", downmix))
    options = [option for option, reason, given in flags if reason in reasons and not given]
    if not options:
        return None
    return f"hint: {' and '.join(options)} convert{'' if len(options) > 1 else 's'} such files (off by default)"


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JSON list: one record (path, status, reasons, metrics) per file.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Exit code 1 if any file is rejected.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [validate] thresholds (and [frontend]) to use.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256), help="Parallel threads (default: one per CPU).")
@click.option("--resample", is_flag=True, help="Resample files at another rate (default: reject them).")
@click.option("--downmix", is_flag=True, help="Average the channels of multichannel files (default: reject them).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; list only rejected files, then the summary.")
def validate(
    paths: tuple[Path, ...],
    out: Path | None,
    strict: bool,
    config_path: Path | None,
    workers: int | None,
    resample: bool,
    downmix: bool,
    quiet: bool,
) -> None:
    """Check recordings (files, and audio files under folders) before they enter a dataset.

    Prints one line per file (accepted, or rejected with every failed check) with its speech
    level, SNR, speech span and clipped share, and a summary. Unreadable, empty, wrong-rate and
    multichannel files are rejected with that reason. Exit code 1 with --strict if any file is
    rejected, 2 on a usage error (e.g. no audio files found).
    """
    import json
    import os
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    from kwsc.validate import expand_paths, validate_file

    config, frontend_config = _load_validate_config(config_path)
    files = expand_paths(paths)
    if not files:
        raise InputError(f"no audio files found in {', '.join(map(str, paths))}")

    def one(path: Path) -> Validation:
        return validate_file(path, config, frontend_config, resample, downmix)

    workers = min(workers or os.cpu_count() or 1, len(files))
    show_bar = not quiet and len(files) > 1 and sys.stderr.isatty()
    with tqdm(
        total=len(files), unit="file", file=sys.stderr, disable=not show_bar, leave=False, desc="validating"
    ) as bar:
        results: list[Validation] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(one, files):
                results.append(result)
                bar.update()

    if out is not None:
        try:
            out.write_text(json.dumps([r.to_record() for r in results], indent=2) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc}") from exc
    if not (quiet and all(r.accepted for r in results)):
        click.echo(_validation_table(results, only_rejected=quiet))
    click.echo(_summary(results))
    hint = _conversion_hint(results, resample, downmix)
    if hint:
        click.echo(hint)
    if out is not None:
        click.echo(f"records: {out}")
    if strict and not all(r.accepted for r in results):
        raise SystemExit(1)


@main.command()
@click.argument("takes", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [validate] thresholds (and [frontend]) to use.")  # fmt: skip
@click.option("--resample", is_flag=True, help="Resample takes at another rate (default: re-record them).")
@click.option("--downmix", is_flag=True, help="Average the channels of multichannel takes (default: re-record them).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one record per take, and the verdict.")
def enroll(takes: tuple[Path, ...], config_path: Path | None, resample: bool, downmix: bool, as_json: bool) -> None:
    """Check a user's enrollment TAKES (3 or more recordings of the wake word): per take, accept
    or re-record and why, and whether every take is the same phrase.

    Exit code 1 if any take must be re-recorded, 2 on a usage error.
    """
    import json

    from kwsc._kwsc_c import lib
    from kwsc.validate import check_enrollment, load_audio

    max_takes = int(lib.KWSC_ENROLL_MAX_TAKES)
    if not 3 <= len(takes) <= max_takes:
        raise InputError(f"need 3 to {max_takes} takes to check they are the same phrase, got {len(takes)}")
    config, frontend_config = _load_validate_config(config_path)

    # Decode here: check_enrollment decodes paths, but never resamples or downmixes.
    failed: dict[int, Validation] = {}
    decoded: dict[int, np.ndarray] = {}
    for i, path in enumerate(takes):
        try:
            decoded[i] = load_audio(path, frontend_config.sample_rate_hz, resample, downmix)
        except ValueError as exc:
            reason, _, detail = str(exc).partition(": ")
            failed[i] = Validation(str(path), "rejected", (reason,), {}, {}, detail)
    check = check_enrollment(list(decoded.values()), config, frontend_config)
    checked = dict(zip(decoded, zip(check.takes, check.nearest_distance, strict=True), strict=True))
    results = [
        failed[i] if i in failed else dataclasses.replace(checked[i][0], path=str(takes[i])) for i in range(len(takes))
    ]
    nearest = [checked[i][1] if i in checked else None for i in range(len(takes))]
    compared = check.compared
    rerecord = [i + 1 for i, r in enumerate(results) if not r.accepted]
    proceed = not rerecord and compared

    if as_json:
        document = {
            "proceed": proceed,
            "consistency_checked": compared,
            "takes": [
                {"take": i + 1, **r.to_record(), "explanation": r.explain(config), "nearest_distance": d}
                for i, (r, d) in enumerate(zip(results, nearest, strict=True))
            ],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        for i, r in enumerate(results):
            verdict = "accepted" if r.accepted else "re-record: " + "; ".join(r.explain(config))
            click.echo(f"take {i + 1}: {verdict}")
        if proceed:
            click.echo(f"enrollment can proceed: all {len(results)} takes accepted and the same phrase")
        else:
            why = []
            if rerecord:
                why.append(f"re-record take{'s' if len(rerecord) > 1 else ''} {', '.join(map(str, rerecord))}")
            if not compared:
                why.append("fewer than 3 takes could be compared, so the phrase was not checked")
            click.echo(f"enrollment cannot proceed: {'; '.join(why)}")
        hint = _conversion_hint(results, resample, downmix)
        if hint:
            click.echo(hint)
    if not proceed:
        raise SystemExit(1)


@main.command("build")
@click.argument("config_path", metavar="CONFIG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), envvar="KWSC_STORE",
              help="Dataset store (default: $KWSC_STORE, else ./kwsc-store).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes (default: one per CPU).")
@click.option("--executor", "backend", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where per-item work runs: a local process pool, or Dask.")  # fmt: skip
@click.option("--scheduler", help="Dask scheduler address (default: start a LocalCluster of --workers processes).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or messages; only the version id.")
def build_command(
    config_path: Path, store_dir: Path | None, workers: int | None, backend: str, scheduler: str | None, quiet: bool
) -> None:
    """Compile the project CONFIG into a dataset version; prints the version id last.

    The same inputs and config give the same id and reuse every cached step; an interrupted
    build resumes. Exit code 1 when the leakage audit fails, 2 for a bad config.
    """
    from kwsc.build import BuildError, build
    from kwsc.config import ConfigError, load_project
    from kwsc.store import Store

    try:
        config = load_project(config_path)
    except ConfigError as exc:
        raise InputError(str(exc)) from exc

    def say(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    try:
        from kwsc.executor import Executor

        runner = Executor(backend, workers, scheduler)
        result = build(config, Store(store_dir), workers, progress=None if not quiet else False, log=say,
                       executor=runner)  # fmt: skip
    except BuildError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    except (ValueError, ConfigError) as exc:  # a source section the source rejected
        raise InputError(str(exc)) from exc
    if not quiet:
        c = result.counts
        variants = f"; {c['augmented']} augmented variants" if c.get("augmented") else ""
        click.echo(f"{c['inputs']} inputs = {c['accepted']} accepted + {c['rejected']} rejected + "
                   f"{c['duplicate']} duplicates{variants}; {result.path}", err=True)  # fmt: skip
    click.echo(result.version_id)


@main.group("dataset")
def dataset_group() -> None:
    """Inspect dataset versions in the store: list, show, diff."""


@dataset_group.command("list")
@_store_option
def dataset_list(store_dir: Path | None) -> None:
    """One line per dataset version: id, project, inputs and statuses."""
    from kwsc.store import Store

    store = Store(store_dir)
    versions = store.versions()
    if not versions:
        click.echo(f"no dataset versions in {store.datasets}")
        return
    for version in versions:
        lineage = store.lineage(version)
        c = lineage["counts"]
        click.echo(f"{version}  {lineage['project']:<20} {c['inputs']:>6} inputs  {c['accepted']:>6} accepted  "
                   f"{c['rejected']:>5} rejected  {c['duplicate']:>5} duplicates  "
                   f"{c.get('augmented', 0):>6} variants")  # fmt: skip


@dataset_group.command("show")
@click.argument("version")
@_store_option
def dataset_show(version: str, store_dir: Path | None) -> None:
    """Print a version's report (VERSION may be a unique prefix of the id)."""
    from kwsc.store import Store, StoreError

    try:
        path = Store(store_dir).resolve(version)
    except StoreError as exc:
        raise InputError(str(exc)) from exc
    click.echo((path / "report.md").read_text())


@dataset_group.command("diff")
@click.argument("base")
@click.argument("current")
@_store_option
def dataset_diff(base: str, current: str, store_dir: Path | None) -> None:
    """What changed from BASE to CURRENT: examples, label and group counts, config."""
    from kwsc.dataset_diff import diff_versions, format_diff
    from kwsc.store import Store, StoreError

    store = Store(store_dir)
    try:
        click.echo(format_diff(diff_versions(store, base, current)))
    except StoreError as exc:
        raise InputError(str(exc)) from exc


def _windows_of(store: Any, spec: str) -> tuple[Any, str, Any]:
    """int8 windows of "VERSION[:SPLIT]" (a dataset version or one split of it), a label, lineage."""
    from kwsc import features

    version, _, split_name = spec.partition(":")
    path = store.resolve(version)
    windows, _labels = features.load_windows(path, split_name or None)
    if windows.shape[0] == 0:
        raise InputError(f"{spec}: no feature windows{' in split ' + split_name if split_name else ''}")
    return windows, f"{path.name[:12]}{':' + split_name if split_name else ''}", store.lineage(version)


@dataset_group.command("drift")
@click.argument("base")
@click.argument("current")
@_store_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the report as JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG.")
@click.option("--psi-warning", type=float, default=0.1, show_default=True)
@click.option("--psi-critical", type=float, default=0.25, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="KS significance level.")
@click.option("--bins", default="10", show_default=True, help="Quantile bins per coefficient, or 'natural' (256).")
@click.option("--resample", is_flag=True, help="Resample recordings that are not 16 kHz (CURRENT as a folder).")
def dataset_drift(
    base: str,
    current: str,
    store_dir: Path | None,
    json_path: Path | None,
    plot_path: Path | None,
    psi_warning: float,
    psi_critical: float,
    alpha: float,
    bins: str,
    resample: bool,
) -> None:
    """Feature drift per coefficient (PSI, KS, KL) from BASE to CURRENT.

    BASE is VERSION[:SPLIT]; CURRENT is VERSION[:SPLIT] or a folder (or file) of recordings, whose
    features are computed with BASE's frontend config and learned int8 quantisation. Exit code 1
    when a coefficient is over the critical PSI.
    """
    from kwsc import drift
    from kwsc.frontend import QuantParams
    from kwsc.store import Store, StoreError

    store = Store(store_dir)
    try:
        base_windows, base_label, lineage = _windows_of(store, base)
        if Path(current).exists():
            frontend_config = FrontendConfig.from_dict(lineage["frontend"]["config"])
            normalization = lineage["features"]["normalization"]
            quant = QuantParams.from_dict(normalization["quant"])
            try:
                current_windows = drift.features_of_recordings(
                    [current], frontend_config, quant, resample=resample,
                    relative_c0=bool(normalization.get("relative_c0", False)),
                )  # fmt: skip
            except ValueError as exc:
                raise InputError(str(exc)) from exc
            current_label = current
        else:
            current_windows, current_label, _ = _windows_of(store, current)
    except StoreError as exc:
        raise InputError(str(exc)) from exc
    report = drift.compare(
        base_windows, current_windows, psi_warning=psi_warning, psi_critical=psi_critical, alpha=alpha,
        bins=None if bins == "natural" else int(bins), base_label=base_label, current_label=current_label,
    )  # fmt: skip
    click.echo(report.format_table())
    if json_path:
        json_path.write_text(report.to_json())
    if plot_path:
        report.plot(plot_path)
    raise SystemExit(report.exit_code)


@main.command("train")
@click.argument("target")
@_store_option
@click.option("--arch", type=click.Choice(ARCHITECTURES), help="Architecture (default: [model] arch, dscnn).")
@click.option("--filters", type=click.IntRange(1, 512), help="Channels per layer (default: [model], 64).")
@click.option("--blocks", type=click.IntRange(0, 16), help="DS-CNN / TCN blocks (default: [model], 4).")
@click.option("--epochs", type=click.IntRange(1, 1000), help="Epochs (default: [train], 20).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), help="Windows per batch (default: [train], 100).")
@click.option("--seed", type=int, help="Seed (default: [train], 0).")
@click.option("--restarts", type=click.IntRange(1, 32),
              help="Seeds trained from --seed on; the best on validation is kept (default: [train], 1).")  # fmt: skip
@click.option("--max-model-bytes", type=click.IntRange(1),
              help="INT8 .tflite budget; over it the command fails, exit 1 (default: [train], 65536).")  # fmt: skip
def train_command(
    target: str, store_dir: Path | None, arch: str | None, filters: int | None, blocks: int | None,
    epochs: int | None, batch_size: int | None, seed: int | None, restarts: int | None, max_model_bytes: int | None,
) -> None:  # fmt: skip
    """Train a model and store it as full INT8 TFLite in <store>/models/<model id>/ (model.tflite,
    its C export kwsc_model.c/.h, meta.json, lineage.json); prints its folder.

    TARGET is a project file (its dataset is built first, or reused; [model], [train], and for
    restarts [eval] and [detect], apply) or a dataset version id (or unique prefix) in the store.
    Options override the config. With restarts, each seed's model is stored (or reused) under its
    own id, streamed through the C detector on validation, and the chosen one is copied to the
    printed folder, whose lineage.json lists the candidates.
    """
    import dataclasses

    from kwsc.config import ConfigError, load_project
    from kwsc.detector import DetectConfig
    from kwsc.evaluate import EvalConfig
    from kwsc.store import Store, StoreError
    from kwsc.train import BudgetError, ModelConfig, TrainConfig, summary_line

    store = Store(store_dir)
    model_config, train_config = ModelConfig(), TrainConfig()
    eval_config, detect_config = EvalConfig(), DetectConfig()
    try:
        if Path(target).is_file():
            from kwsc.build import BuildError, build

            project = load_project(target)
            model_config, train_config = project.model, project.train
            eval_config, detect_config = project.eval, project.detect
            try:
                target = build(project, store, log=lambda message: click.echo(f"  {message}", err=True)).version_id
            except BuildError as exc:
                click.echo(str(exc), err=True)
                raise SystemExit(1) from exc
        path = store.resolve(target)
        keywords = list(store.lineage(path.name)["labels"]["keyword"])
        model_overrides = {"arch": arch, "filters": filters, "blocks": blocks}
        train_overrides = {"epochs": epochs, "batch_size": batch_size, "seed": seed, "restarts": restarts,
                           "max_model_bytes": max_model_bytes}  # fmt: skip
        model_config = dataclasses.replace(model_config, **{k: v for k, v in model_overrides.items() if v is not None})
        train_config = dataclasses.replace(train_config, **{k: v for k, v in train_overrides.items() if v is not None})
    except (StoreError, ConfigError) as exc:
        raise InputError(str(exc)) from exc
    click.echo(f"training {model_config.arch} on {path.name} (keywords: {', '.join(keywords)})", err=True)
    from tqdm import tqdm

    from kwsc.restarts import trained_model

    def progress(items, description):  # type: ignore[no-untyped-def]
        return tqdm(items, desc=description, unit="clip", leave=False)

    try:
        folder = trained_model(store.root, path, keywords, model_config, train_config, eval_config, detect_config,
                               log=lambda line: click.echo(line, err=True), progress=progress)  # fmt: skip
    except BudgetError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    click.echo(summary_line(folder), err=True)
    click.echo(str(folder))


@main.command("export")
@click.argument("model")
@_store_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the model folder).")  # fmt: skip
@click.option("--symbol", default="kwsc_model", show_default=True, help="C name of the model (and its files).")
def export_command(model: str, store_dir: Path | None, out_dir: Path | None, symbol: str) -> None:
    """Turn a model's INT8 .tflite into C for the kwsc_nn runtime: <symbol>.c (const weights, the
    static op table, the memory plan) and <symbol>.h (arena and shape macros), plus export.json.

    MODEL is a model folder or a model id (or unique prefix) in the store. No interpreter, no
    allocation: compile the two files with csrc/kwsc_nn.c and give kwsc_nn_invoke an arena of
    <SYMBOL>_ARENA_BYTES.
    """
    import hashlib
    import json

    from kwsc.export import ExportError, export
    from kwsc.store import Store, StoreError

    try:
        folder = Store(store_dir).resolve_model(model)
        target = out_dir or folder
        header, source, plan = export(folder / "model.tflite", target, symbol)
    except (StoreError, ExportError) as exc:
        raise InputError(str(exc)) from exc
    summary = {
        "model": folder.name,
        "tflite_sha256": hashlib.sha256((folder / "model.tflite").read_bytes()).hexdigest(),
        "symbol": symbol,
        "ops": [op.name for op in plan.ops],
        "arena_bytes": plan.arena_bytes,
        "const_bytes": plan.const_bytes(),
        "macs_per_inference": plan.macs(),
        "input_shape": list(plan.input_shape),
        "input_quantization": list(plan.input_quantization),
        "output_quantization": list(plan.output_quantization),
    }
    (target / "export.json").write_text(json.dumps(summary, indent=2) + "\n")
    click.echo(f"{len(plan.ops)} ops, arena {plan.arena_bytes:,} B, const data {plan.const_bytes():,} B, "
               f"{plan.macs():,} MACs per inference", err=True)  # fmt: skip
    click.echo(f"{source}\n{header}")


def _detect_options(command: Any) -> Any:
    """The options `kwsc detect` and `kwsc posteriors` share (applied bottom-up)."""
    options = [
        click.option("--model", "model", required=True, help="Model folder, or model id (or prefix) in the store."),
        _store_option,
        click.option("--threshold", type=click.FloatRange(0.0, 1.0),
                     help="Detection probability (default: the model's meta.json threshold, else 0.5)."),
        click.option("--stride-frames", type=click.IntRange(1, 1024), default=4, show_default=True,
                     help="Frames between inferences (4 = 80 ms at the 20 ms hop)."),
        click.option("--smooth", type=click.IntRange(1, 64), default=3, show_default=True,
                     help="Moving-average length, in inferences."),
        click.option("--refractory-s", type=click.FloatRange(min=0.0), default=1.0, show_default=True,
                     help="Seconds after a detection in which no other fires."),
        click.option("--resample", is_flag=True, help="Resample audio that is not 16 kHz (default: refuse it)."),
        click.option("--downmix", is_flag=True, help="Average the channels of multichannel audio (default: refuse)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _run_detector(
    audio: Path, model: str, store_dir: Path | None, threshold: float | None, stride_frames: int, smooth: int,
    refractory_s: float, resample: bool, downmix: bool,
) -> tuple[Path, Any, Any, float]:  # fmt: skip
    """Resolve the model, run the C detector over the file: (model folder, detector, inferences, seconds)."""
    from kwsc.config import ConfigError
    from kwsc.detector import DetectConfig, DetectError, Detector, load_pcm
    from kwsc.store import Store, StoreError

    try:
        folder = Store(store_dir).resolve_model(model)
        config = DetectConfig(stride_frames, smooth, threshold, refractory_s)
        detector = Detector.from_folder(folder, config)
        pcm = load_pcm(audio, detector.frontend_config.sample_rate_hz, resample, downmix)
    except (StoreError, DetectError, ConfigError) as exc:
        hints = {"wrong_sample_rate": "--resample", "multichannel": "--downmix"}
        hint = next((f" (pass {flag} to convert it)" for reason, flag in hints.items() if reason in str(exc)), "")
        raise InputError(f"{exc}{hint}") from exc
    return folder, detector, detector.run(pcm), pcm.size / detector.frontend_config.sample_rate_hz


@main.command("detect")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_detect_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the settings and one entry per detection.")
def detect_command(
    audio: Path, model: str, store_dir: Path | None, threshold: float | None, stride_frames: int, smooth: int,
    refractory_s: float, resample: bool, downmix: bool, as_json: bool,
) -> None:  # fmt: skip
    """Stream AUDIO (16 kHz mono) through the device's C detector and print its detections: one
    line per detection (end of its window in seconds, keyword, smoothed probability), then a
    summary. An inference runs every --stride-frames frames on the last 1 s of features; a
    keyword fires when its --smooth-inference moving average reaches --threshold, at most once
    per --refractory-s."""
    import json
    from collections import Counter

    folder, detector, result, seconds = _run_detector(
        audio, model, store_dir, threshold, stride_frames, smooth, refractory_s, resample, downmix
    )
    events = result.events
    hop_s = detector.frontend_config.hop_samples / detector.frontend_config.sample_rate_hz
    if as_json:
        summary = {
            "audio": str(audio), "model": folder.name, "duration_s": seconds, "inferences": len(result),
            "keywords": list(detector.labels), "threshold": detector.threshold,
            "stride_frames": stride_frames, "smooth_inferences": smooth,
            "refractory_s": detector.refractory_frames * hop_s,
            "detections": [{"time_s": round(e.time_s, 6), "frame": e.frame, "keyword": e.keyword,
                            "probability": e.probability} for e in events],
        }  # fmt: skip
        click.echo(json.dumps(summary, indent=2))
        return
    for e in events:
        click.echo(f"{e.time_s:10.3f} s  {e.keyword}  {e.probability:.3f}")
    counts = Counter(e.keyword for e in events)
    per_keyword = ", ".join(f"{label} {counts[label]}" for label in detector.labels)
    click.echo(f"{audio}: {seconds:.2f} s, {len(result)} inferences every {stride_frames * hop_s * 1000:.0f} ms "
               f"(smoothing {smooth}, threshold {detector.threshold:.3f}, refractory "
               f"{detector.refractory_frames * hop_s:.2f} s): {len(events)} detections ({per_keyword})")  # fmt: skip


@main.command("posteriors")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_detect_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output .npz file.")
def posteriors_command(
    audio: Path, model: str, store_dir: Path | None, threshold: float | None, stride_frames: int, smooth: int,
    refractory_s: float, resample: bool, downmix: bool, out: Path,
) -> None:  # fmt: skip
    """Save the smoothed keyword probability of every inference over AUDIO to an .npz file:
    times_s (float64, end of each window, s), probs (float32 in [0, 1); shape (n,) for one
    keyword, (n, K) for K), labels (str, K) and threshold (float64, the one in effect)."""
    from kwsc.detector import posteriors_dict

    _folder, _detector, result, seconds = _run_detector(
        audio, model, store_dir, threshold, stride_frames, smooth, refractory_s, resample, downmix
    )
    try:
        np.savez(out, **posteriors_dict(result))
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}") from exc
    click.echo(f"{audio}: {seconds:.2f} s -> {len(result)} inferences x {len(result.labels)} keyword(s) -> {out}")


@main.command("eval")
@click.argument("model")
@_store_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [eval] and [detect] to use.")  # fmt: skip
@click.option("--target-fa-per-hour", type=click.FloatRange(min=0, min_open=True),
              help="FA/h the threshold is chosen for, on validation (default: [eval], 0.5).")  # fmt: skip
@click.option("--negative-hours", type=click.FloatRange(min=0, min_open=True),
              help="Cap on hours of negative stream per split (default: all).")  # fmt: skip
@click.option("--negatives", "user_negatives", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own recordings without the keyword: also reports FA/h on them.")  # fmt: skip
@click.option("--dataset", "dataset_version",
              help="Evaluate on this dataset version's streams (same store) instead of the model's own.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256),
              help="Threads streaming the splits side by side (default: one per CPU; same results).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def eval_command(
    model: str, store_dir: Path | None, config_path: Path | None, target_fa_per_hour: float | None,
    negative_hours: float | None, user_negatives: Path | None, dataset_version: str | None, workers: int | None,
    quiet: bool,
) -> None:  # fmt: skip
    """Streaming evaluation of a model on its dataset version, through the C detector: FA/h on
    the negative stream, FRR and latency on keyword clips in context, the DET curve; the
    threshold for the target FA/h is chosen on validation, stored in meta.json, and the test
    split is reported at it. Writes eval.json, det.json and det.png into the model folder.

    MODEL is a model folder or a model id (or unique prefix) in the store.
    """
    from tqdm import tqdm

    from kwsc.config import ConfigError, load_project
    from kwsc.detector import DetectConfig, DetectError
    from kwsc.evaluate import EvalConfig, LeakageError, evaluate_model
    from kwsc.store import Store, StoreError

    try:
        folder = Store(store_dir).resolve_model(model)
        project = load_project(config_path) if config_path else None
        config = project.eval if project else EvalConfig()
        detect_config = project.detect if project else DetectConfig()
        overrides = {"target_fa_per_hour": target_fa_per_hour, "negative_hours": negative_hours}
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    except (StoreError, ConfigError) as exc:
        raise InputError(str(exc)) from exc

    def progress(items, description):  # type: ignore[no-untyped-def]
        return tqdm(items, desc=description, unit="clip", disable=quiet, leave=False)

    try:
        report = evaluate_model(folder, config, detect_config, progress=progress,
                                log=None if quiet else lambda line: click.echo(line, err=True),
                                user_negatives=user_negatives, dataset_version=dataset_version,
                                workers=workers)  # fmt: skip
    except (DetectError, FileNotFoundError, LeakageError, StoreError) as exc:
        raise InputError(str(exc)) from exc
    for split in ("validation", "test", "crossvoice"):
        if split not in report:
            continue
        r = report[split]
        latency = (
            ""
            if r["latency_p95_s"] is None
            else (f", latency median {r['latency_median_s'] * 1000:.0f} ms, p95 {r['latency_p95_s'] * 1000:.0f} ms")
        )
        click.echo(f"{split}: {r['fa_per_hour']:.2f} FA/h ({r['false_accepts']} in {r['negative_hours']:.2f} h), "
                   f"FRR {r['frr']:.3f} ({r['misses']} of {r['trials']}){latency}")  # fmt: skip
        quieter = ", ".join(f"{frr:.3f} at {gain} dB" for gain, frr in r.get("frr_by_gain_db", {}).items())
        if quieter:
            click.echo(f"  quieter talkers (the trials scaled): FRR {quieter}")
    user = report.get("user_negatives")
    if user is not None:
        click.echo(f"your recordings: {user['fa_per_hour']:.2f} FA/h ({user['false_accepts']} in "
                   f"{user['negative_hours']:.2f} h, {user['files']} files)")  # fmt: skip
    check = report.get("device_check")
    if check is not None:
        verdict = "identical" if check["identical"] else "DIFFERENT"
        click.echo(f"Cortex-M4 (QEMU) vs host on {check['seconds']:.0f} s of test audio: {check['inferences']} "
                   f"inferences, {check['detections']} detections, {verdict}")  # fmt: skip
    click.echo(f"threshold {report['threshold']:.4f} (for {config.target_fa_per_hour} FA/h on validation), "
               f"stored in {folder / 'meta.json'}; DET curve: {folder / 'det.png'}, {folder / 'det.json'}")  # fmt: skip
    if check is not None and not check["identical"]:
        raise SystemExit(1)


@main.command("report")
@click.argument("model")
@_store_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Project TOML whose [budget] to check against.")  # fmt: skip
def report_command(model: str, store_dir: Path | None, config_path: Path | None) -> None:
    """Write the model's report.md and report.html (dataset, model, footprint on the Cortex-M4 measured now under
    QEMU, streaming FA/h, FRR, latency and DET curve from `kwsc eval`, clip-level confusion
    matrix, lineage) into its folder and print its path. Exit 1 when a budget is exceeded.
    """
    from kwsc import firmware
    from kwsc import footprint as fp
    from kwsc.config import BudgetConfig, ConfigError, load_project_config
    from kwsc.report import write_report
    from kwsc.store import Store, StoreError

    try:
        folder = Store(store_dir).resolve_model(model)
        budget = (load_project_config(config_path) if config_path else {}).get("budget", BudgetConfig())
    except (StoreError, ConfigError) as exc:
        raise InputError(str(exc)) from exc
    if not (folder / "eval.json").is_file():
        raise InputError(f"{folder}: no eval.json; run `kwsc eval {folder.name}` first")
    try:
        components = fp.measure_model(folder)
    except firmware.FirmwareError as exc:
        raise _firmware_error(exc) from exc
    checks = fp.check_budgets(components, budget)
    click.echo(str(write_report(folder, components, checks)))
    if any(check.hard and not check.ok for check in checks):
        raise SystemExit(1)
