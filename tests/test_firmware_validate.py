"""The recording validator and the enrollment DTW on the Cortex-M4 firmware under QEMU: verdicts
and metrics bit-exact with the host on every defect and any chunking, and its footprint.

Like tests/test_firmware.py, these need arm-none-eabi-gcc, newlib and qemu-system-arm, and fail
(not skip) without them.
"""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

import kwsc
from kwsc import firmware, footprint, signals, validate
from kwsc._kwsc_c import ffi, lib
from kwsc.config import BudgetConfig
from kwsc.validate import RECORDING_REASONS, ValidateConfig, Validator

RATE = signals.SAMPLE_RATE_HZ


def _recordings() -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """Every defect the validator names (kwsc.signals.recording_defects: clean, clipped, silent,
    too quiet, two words, truncated start/end, 5 dB SNR, DC offset, 8 kHz upsampled with soxr,
    50 Hz hum and harmonics, 1 kHz tone, too long, too short), and a few edges beside them."""
    cases = dict(signals.recording_defects(seed=1))
    word = signals.word_like(0.6, -20.0, seed=5)
    cases["too loud"] = (signals.take(signals.word_like(0.6, -3.0, seed=6), 0.5, 0.5, seed=7), ("too_loud",))
    cases["longer than max_frames"] = (signals.take(word, 2.8, 2.8, seed=8), ("too_long",))
    cases["pink noise only"] = (signals.pink_noise(1.3, -30.0, seed=9), ())
    cases["partial last block"] = (signals.take(word, 0.5, 0.5, seed=10)[:-137], ())
    cases["empty"] = (np.zeros(0, np.int16), ("no_speech",))
    return cases


RECORDINGS = _recordings()
CHUNKS = [1, 320, 997, 1 << 24]


@pytest.fixture(scope="module")
def build() -> firmware.FirmwareBuild:
    return firmware.build()


@pytest.fixture(scope="module")
def host() -> Validator:
    return Validator()


def _reasons(raw: dict[str, int]) -> set[str]:
    return {name for bit, name in enumerate(RECORDING_REASONS) if raw["reasons"] >> bit & 1}


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("name", list(RECORDINGS))
def test_validate_device_equals_host_bit_for_bit(
    build: firmware.FirmwareBuild, host: Validator, name: str, chunk: int
) -> None:
    pcm, expected = RECORDINGS[name]
    device = firmware.run_validate(build, pcm, chunk_samples=chunk)
    reference = host.raw(pcm)
    assert device.keys() == reference.keys()
    assert device == reference
    assert device["num_samples"] == pcm.size
    assert set(expected) <= _reasons(device), f"{name}: the recording no longer shows its defect"


def test_every_recording_defect_is_covered() -> None:
    covered = {reason for _, expected in RECORDINGS.values() for reason in expected}
    assert covered == set(RECORDING_REASONS)
    assert RECORDINGS["clean"][1] == ()


@pytest.mark.parametrize(
    "config",
    [
        ValidateConfig(max_duration_s=3.0, min_snr_db=10.0, vad_floor_percentile=25, vad_rise_fraction=0.5),
        ValidateConfig(clip_level=20000, max_clip_run=1, max_dc_offset=0.001, min_lead_ms=300, min_trail_ms=300),
        ValidateConfig(checks=("no_speech", "clipped", "hum"), high_band_hz=3000.0, hum_below_hz=200.0),
        ValidateConfig(vad_merge_ms=20, vad_min_run_ms=0, vad_min_rise_db=0.0, max_tonality_db=5.0),
    ],
)
def test_validate_other_configs_equal_host(build: firmware.FirmwareBuild, config: ValidateConfig) -> None:
    """Every config field reaches the device: non-default thresholds give the host's metrics."""
    host = Validator(config)
    for name in ("clean", "two words", "hum", "clipped", "longer than max_frames"):
        pcm = RECORDINGS[name][0]
        assert firmware.run_validate(build, pcm, config, chunk_samples=253) == host.raw(pcm), name


def test_validate_random_signals_equal_host(build: firmware.FirmwareBuild, host: Validator) -> None:
    rng = np.random.default_rng(11)
    for seed in range(6):
        duration = rng.uniform(0.2, 3.0)
        pcm = signals.speech_like(duration, rng.uniform(-70, -3), seed=seed)
        pcm = signals.add_noise_at_snr(pcm, rng.uniform(0, 40), slice(0, pcm.size), seed=seed)
        chunk = int(rng.integers(1, 5000))
        assert firmware.run_validate(build, pcm, chunk_samples=chunk) == host.raw(pcm), (seed, chunk)


def test_validate_stack_and_memory(build: firmware.FirmwareBuild, host: Validator) -> None:
    run = firmware.run_validator(build, RECORDINGS["clean"][0])
    assert run.memory_bytes == host.memory_bytes - 24  # six 4-byte pointers on the device
    assert 200 < run.stack_bytes < 2048
    # The stack does not grow with the recording's length or the chunking.
    longer = firmware.run_validator(build, RECORDINGS["longer than max_frames"][0], chunk_samples=1)
    assert longer.stack_bytes == run.stack_bytes


def test_validate_clear_errors(build: firmware.FirmwareBuild) -> None:
    pcm = RECORDINGS["clean"][0]
    with pytest.raises(firmware.FirmwareError, match="holds at most 250 blocks"):
        firmware.run_validate(build, pcm, ValidateConfig(max_duration_s=6.0))
    # The device refuses it too, when the host check is bypassed.
    with pytest.raises(firmware.FirmwareError, match="malformed"):
        firmware.run(build, "validate", firmware.validate_job(pcm, ValidateConfig(max_duration_s=6.0)))
    job = firmware.validate_job(pcm)
    with pytest.raises(firmware.FirmwareError, match="malformed"):
        firmware.run(build, "validate", job[:-8])
    with pytest.raises(firmware.FirmwareError, match="malformed"):
        firmware.run(build, "validate", b"KWF1" + job[4:])
    # A config the C check refuses (vad_floor_percentile = 101, field 16 of 24).
    fields = [name for name, _ in ffi.typeof("kwsc_validate_config").fields]
    offset = 8 + 4 * fields.index("vad_floor_percentile")
    bad = job[:offset] + struct.pack("<I", 101) + job[offset + 4 :]
    with pytest.raises(firmware.FirmwareError, match="error status"):
        firmware.run(build, "validate", bad)
    with pytest.raises(ValueError, match="chunk_samples"):
        firmware.validate_job(pcm, chunk_samples=0)


# --- enrollment DTW -------------------------------------------------------------------------


def _host_consistency(seqs: list[np.ndarray], first: int, dims: int, band: int, ratio: float) -> tuple[list[int], int]:
    return validate.enroll_consistency_raw(seqs, first, dims, band, round(ratio * 256), round(12.0 * 256 * 64))


def _enrollment_takes() -> list[np.ndarray]:
    """Four takes of one word (different level, noise, lead; onsets on the 20 ms block grid, as
    identical synthetic words otherwise differ by the half-hop phase) and one of another word."""
    word = signals.word_like(0.7, -20.0, seed=31)
    takes = [
        signals.take(np.asarray(word * gain, np.int16), lead, 0.5, noise, seed=40 + k)
        for k, (gain, lead, noise) in enumerate([(1.0, 0.5, -65), (0.5, 0.4, -60), (1.4, 0.6, -70), (0.8, 0.46, -62)])
    ]
    takes.insert(2, signals.take(signals.word_like(0.7, -20.0, seed=77), 0.5, 0.5, seed=50))
    return takes


def test_enrollment_on_device_equals_check_enrollment(build: firmware.FirmwareBuild) -> None:
    """The whole device path (validator span, frontend cepstra, DTW consistency) gives the host's
    check_enrollment distances and flags the same odd take."""
    takes = _enrollment_takes()
    expected = validate.check_enrollment(takes)
    frontend = kwsc.Frontend()
    seqs = []
    for pcm, result in zip(takes, expected.takes, strict=True):
        raw = firmware.run_validate(build, pcm)
        assert raw == result.raw
        ceps = firmware.run_frontend(build, pcm).ceps
        assert np.array_equal(ceps, frontend.process(pcm))
        span = validate.Validation(None, "accepted", (), {}, raw)
        seqs.append(validate._speech_cepstra(frontend, pcm, span))
    device = firmware.run_dtw(build, seqs)
    assert device.nearest_q8 is not None and device.outliers is not None
    nearest = [None if v == lib.KWSC_DTW_INFINITE else v / 256 / 2**kwsc.frontend.CEPS_Q for v in device.nearest_q8]
    assert nearest == expected.nearest_distance
    flagged = {i for i, r in enumerate(expected.takes) if validate.INCONSISTENT in r.reasons}
    assert {i for i in range(len(takes)) if device.outliers >> i & 1} == flagged == {2}
    for i, a in enumerate(seqs):
        for j, b in enumerate(seqs):
            d = device.distances[i, j]
            assert d == validate.dtw_distance_raw(a, b, validate.DTW_FIRST, validate.DTW_DIMS, 50)
            host_float = validate.dtw_distance(a, b)
            assert host_float == (None if d == lib.KWSC_DTW_INFINITE else d / 256 / 2**kwsc.frontend.CEPS_Q)
    assert np.all(np.diag(device.distances) == 0)
    assert 0 < device.stack_bytes < 1024


@pytest.mark.parametrize(
    ("lengths", "stride", "first", "dims", "band", "ratio", "infinite"),
    [
        ((40, 55, 47, 61, 38, 50), 13, 1, 12, 50, 2.0, False),
        ((30, 90, 31), 13, 1, 12, 10, 1.5, False),
        ((6, 90, 7), 13, 1, 12, 3, 1.5, False),  # the longer sequence is walked: a path always fits
        ((20, 0, 25, 22), 13, 1, 12, 8, 2.0, True),  # an empty take is infinitely far
        ((33, 35), 20, 0, 20, 5, 2.0, False),  # two takes: distances only
        ((12, 14, 13, 15), 40, 3, 32, 3, 3.0, False),
        ((16,) * 16, 13, 1, 12, 200, 1.0, False),
    ],
)
def test_dtw_device_equals_host(
    build: firmware.FirmwareBuild,
    lengths: tuple[int, ...],
    stride: int,
    first: int,
    dims: int,
    band: int,
    ratio: float,
    infinite: bool,
) -> None:
    rng = np.random.default_rng(sum(lengths) + stride)
    base = rng.integers(-1500, 1500, (max(lengths) + 1, stride))
    seqs = [np.clip(base[:n] + rng.integers(-300, 300, (n, stride)), -32768, 32767).astype(np.int16) for n in lengths]
    device = firmware.run_dtw(build, seqs, first=first, dims=dims, band=band, ratio=ratio)
    host = np.array([[validate.dtw_distance_raw(a, b, first, dims, band) for b in seqs] for a in seqs], np.int32)
    assert np.array_equal(device.distances, host)
    if len(seqs) >= 3:
        assert (device.nearest_q8, device.outliers) == _host_consistency(seqs, first, dims, band, ratio)
    else:
        assert device.nearest_q8 is None and device.outliers is None
    assert (device.distances == lib.KWSC_DTW_INFINITE).any() == infinite


def test_dtw_clear_errors(build: firmware.FirmwareBuild) -> None:
    seqs = [np.zeros((5, 13), np.int16)] * 3
    with pytest.raises(firmware.FirmwareError, match="band of at most 200"):
        firmware.run_dtw(build, seqs, band=201)
    with pytest.raises(ValueError, match=r"1\.\.16 sequences"):
        firmware.dtw_job([np.zeros((5, 13), np.int16)] * 17)
    with pytest.raises(ValueError, match="same stride"):
        firmware.dtw_job([np.zeros((5, 13), np.int16), np.zeros((5, 12), np.int16)])
    with pytest.raises(firmware.FirmwareError, match="malformed"):
        firmware.run(build, "dtw", firmware.dtw_job(seqs)[:-4])


# --- footprint ------------------------------------------------------------------------------


def test_validator_footprint_within_target(build: firmware.FirmwareBuild) -> None:
    components = footprint.measure(build, seconds=1.0)
    v = components["validator"]
    device = firmware.run_validator(build, RECORDINGS["clean"][0])
    assert v.state_bytes == device.memory_bytes  # the declared buffer, exactly the default config's
    assert v.data_bytes == 0 and v.bss_bytes == 0  # the C core keeps no globals
    assert 2000 < v.code_bytes < 8000 and v.flash_bytes == v.code_bytes
    assert 0 < v.stack_bytes < 2048
    assert v.ram_bytes == v.state_bytes + v.stack_bytes <= 4096
    checks = {(c.component, c.name): c for c in footprint.check_budgets(components, BudgetConfig())}
    target = checks[("validator", "RAM bytes beyond the frontend (target)")]
    assert target.ok and not target.hard and target.limit == 4096 and target.value == v.ram_bytes
    # The frontend's entry is that of a frontend-only device: what only the validator calls is its own.
    assert components["frontend"].state_bytes == kwsc.Frontend().memory_bytes - 24
    assert "validator" in footprint.format_table(components, list(checks.values()))


def test_validator_objects_use_no_floating_point(build: firmware.FirmwareBuild) -> None:
    for name in footprint.COMPONENT_OBJECTS["validator"]:
        listing = subprocess.run(
            ["arm-none-eabi-objdump", "-d", str(build.build_dir / f"{name}.o")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "__aeabi_f" not in listing and "__aeabi_d" not in listing, f"soft-float call in {name}"
