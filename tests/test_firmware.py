"""The Cortex-M4 firmware under QEMU: bit-exact with the host, cost, footprint, failure modes.

These tests need arm-none-eabi-gcc, newlib and qemu-system-arm, which scripts/setup.sh
installs; without them they fail (not skip), so a missing install step cannot hide.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import kwsc
from kwsc import FrontendConfig, QuantParams, firmware, footprint, signals
from kwsc.cli import main
from kwsc.config import BudgetConfig

SIGNALS = {
    "speech -26 dBFS": signals.speech_like(1.5, -26, seed=21),
    "speech -60 dBFS": signals.speech_like(1.5, -60, seed=22),
    "white noise": signals.white_noise(1.0, -20, seed=23),
    "silence": signals.silence(0.7),
    "full scale clipped": signals.clipped(signals.speech_like(1.0, -6, seed=24), 30.0),
    "extremes": np.tile(np.array([32767, -32768, -32768, 32767, 0], np.int16), 2000),
}
CHUNKS = [1, 160, 320, 1001, 1 << 20]


@pytest.fixture(scope="module")
def build() -> firmware.FirmwareBuild:
    return firmware.build()


def _host(pcm: np.ndarray, config: FrontendConfig, quant: QuantParams) -> tuple[np.ndarray, np.ndarray]:
    frontend = kwsc.Frontend(config)
    ceps = frontend.process(pcm)
    return ceps, frontend.quantize(ceps, quant)


@pytest.mark.parametrize("name", sorted(SIGNALS))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_device_equals_host_bit_for_bit(build: firmware.FirmwareBuild, name: str, chunk: int) -> None:
    config, quant = FrontendConfig(), QuantParams.default()
    device = firmware.run_frontend(build, SIGNALS[name], config, quant, chunk_samples=chunk)
    ceps, int8 = _host(SIGNALS[name], config, quant)
    assert device.ceps.shape == ceps.shape and ceps.shape[0] > 0
    assert np.array_equal(device.ceps, ceps)
    assert np.array_equal(device.int8, int8)


@pytest.mark.parametrize(
    "config", [FrontendConfig(preemph_q15=31785), FrontendConfig(hop_samples=160), FrontendConfig(hop_samples=480)]
)
def test_device_equals_host_for_other_configs_and_quantisation(
    build: firmware.FirmwareBuild, config: FrontendConfig
) -> None:
    quant = QuantParams.from_affine(np.linspace(140, -5, 13), np.linspace(3, 0.3, 13), zero_point=-7)
    pcm = signals.speech_like(1.2, -20, seed=25)
    device = firmware.run_frontend(build, pcm, config, quant, chunk_samples=253)
    ceps, int8 = _host(pcm, config, quant)
    assert np.array_equal(device.ceps, ceps)
    assert np.array_equal(device.int8, int8)
    assert len(np.unique(int8)) > 20


def test_device_holds_dropped_coefficients_at_zero_as_the_host_does(build: firmware.FirmwareBuild) -> None:
    """``[features] drop_coeffs`` ships scale 0 for a coefficient: the device must give int8 0 there
    (and the host's values elsewhere) whatever the level."""
    trained = QuantParams.from_affine(np.linspace(140, -5, 13), np.linspace(3, 0.3, 13))
    quant = QuantParams(np.where(np.arange(13) == 0, 0, trained.offset_q6),
                        np.where(np.arange(13) == 0, 0, trained.scale_q16))  # fmt: skip
    for level in (-20, -50):
        pcm = signals.speech_like(1.0, level, seed=27)
        device = firmware.run_frontend(build, pcm, FrontendConfig(), quant, chunk_samples=320)
        ceps, int8 = _host(pcm, FrontendConfig(), quant)
        assert np.array_equal(device.int8, int8) and np.array_equal(device.ceps, ceps)
        assert np.all(device.int8[:, 0] == 0) and len(np.unique(device.int8[:, 1:])) > 20


def test_float_abi_does_not_matter(build: firmware.FirmwareBuild) -> None:
    """The numerics use no floating point: a hard-float build gives identical features, and no
    numeric object holds FPU arithmetic or a call to a soft-float helper."""
    hard = firmware.build(float_abi="hard")
    pcm = signals.speech_like(1.0, -30, seed=26)
    assert np.array_equal(firmware.run_frontend(hard, pcm).ceps, firmware.run_frontend(build, pcm).ceps)
    for fw in (build, hard):
        code_objects = set(footprint.COMPONENT_OBJECTS["frontend"]) - set(footprint.TABLE_OBJECTS["frontend"])
        for name in sorted(code_objects):
            listing = subprocess.run(
                ["arm-none-eabi-objdump", "-d", str(fw.build_dir / f"{name}.o")],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            mnemonics = {line.split("\t")[2].split()[0] for line in listing.splitlines() if line.count("\t") >= 2}
            assert mnemonics, name
            # gcc may park integers in FPU registers (vmov/vldr/vstr/vpush/...) in a hard-float
            # build: that moves bits unchanged. Arithmetic or conversion on the FPU would not.
            fpu = {m for m in mnemonics if m.startswith("v")}
            moves = {m for m in fpu if m.split(".")[0] in {"vmov", "vldr", "vstr", "vpush", "vpop", "vldmia", "vstmia",
                                                           "vldmdb", "vstmdb"}}  # fmt: skip
            assert not fpu - moves, f"FPU arithmetic in {name}: {sorted(fpu - moves)}"
            assert "__aeabi_f" not in listing and "__aeabi_d" not in listing, f"soft-float call in {name}"


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = firmware.build(tmp_path / "a", force=True)
    second = firmware.build(tmp_path / "b", force=True)
    assert first.elf.read_bytes() == second.elf.read_bytes()


def test_instruction_count_is_deterministic_and_adds_up(build: firmware.FirmwareBuild) -> None:
    pcm = signals.speech_like(2.5, -26, seed=27)
    first = firmware.measure_frontend_cost(build, pcm)
    second = firmware.measure_frontend_cost(build, pcm)
    assert first.frames >= 100
    assert first.per_frame == second.per_frame
    stages = sum(v for k, v in first.per_frame.items() if k not in ("frame", "quant"))
    assert 0.9 < stages / first.per_frame["frame"] < 1.1  # the stages are where the frame's time goes
    assert 5_000 < first.per_frame["frame"] < 200_000


def test_footprint_within_budgets(build: firmware.FirmwareBuild) -> None:
    components = footprint.measure(build, seconds=2.5)
    frontend = components["frontend"]
    # The generated arrays plus the kwsc_frontend_tables struct (44 B with 4-byte pointers).
    assert frontend.tables_bytes == kwsc.Frontend().tables_bytes + 44
    assert frontend.code_bytes > 1000
    assert frontend.state_bytes == kwsc.Frontend().memory_bytes - 24  # 4-byte pointers on the device
    assert 0 < frontend.stack_bytes < 1024
    checks = {c.name: c for c in footprint.check_budgets(components, BudgetConfig())}
    assert checks["RAM bytes"].ok and checks["tables bytes"].ok
    assert checks["RAM bytes (target)"].ok and checks["flash bytes (target)"].ok  # <= 4 KB RAM, <= 8 KB flash


def test_footprint_cli_json_and_budget_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["footprint", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert {"flash_bytes", "ram_bytes", "instructions_per_frame"} <= set(document["frontend"])
    assert document["frontend"]["instructions_per_frame"] > 0
    tight = tmp_path / "tight.toml"
    tight.write_text("[budget]\nfrontend_ram_bytes = 1024\n")
    result = CliRunner().invoke(main, ["footprint", "--config", str(tight)])
    assert result.exit_code == 1
    assert "OVER BUDGET" in result.output


def test_firmware_run_cli(tmp_path: Path) -> None:
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(wav, signals.speech_like(1.0, seed=28), 16000, subtype="PCM_16")
    result = CliRunner().invoke(main, ["firmware", "run", str(wav), "--chunk", "77", "--out", str(tmp_path / "d.npy")])
    assert result.exit_code == 0, result.output
    assert "bit-identical" in result.output
    assert np.load(tmp_path / "d.npy").shape == (49, 13)


def test_clear_errors(build: firmware.FirmwareBuild, monkeypatch: pytest.MonkeyPatch) -> None:
    pcm = signals.speech_like(0.5, seed=29)
    with pytest.raises(firmware.FirmwareError, match=r"does not match the compiled-in tables|error status"):
        firmware.run_frontend(build, pcm, FrontendConfig(num_mel=32))  # the device only has default tables
    with pytest.raises(firmware.FirmwareError, match="unknown component"):
        firmware.run(build, "no-such-component", firmware.frontend_job(pcm))
    with pytest.raises(firmware.FirmwareError, match="malformed"):
        firmware.run(build, "frontend", b"KWF1" + b"\0" * 8)
    with pytest.raises(firmware.FirmwareError, match="timed out"):
        long_job = firmware.frontend_job(signals.speech_like(60.0), chunk_samples=1)
        firmware.run(build, "frontend", long_job, timeout_s=0.05)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(firmware.FirmwareError, match="qemu-system-arm not found; install it with: apt-get"):
        firmware.run(build, "frontend", firmware.frontend_job(pcm))
