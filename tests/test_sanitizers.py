"""The C core built and run under AddressSanitizer + UndefinedBehaviorSanitizer.

tests/c/frontend_harness.c and every csrc/*.c are compiled once per session with
``-fsanitize=address,undefined -fno-sanitize-recover=all`` (and ``-Wall -Wextra -Werror``). The
harness streams a PCM file through the frontend in chunks (fixed sizes, or an LCG-driven random
pattern), with output limits that keep exercising the "no room for a frame, input not consumed"
path, checks the init/push/quantize error paths and reset + re-run, and writes the cepstra and
int8 features. Each run must exit 0 with no sanitizer report, and its output must be
bit-identical to the cffi binding (``kwsc.Frontend().process`` / ``.quantize``) on the same input.

tests/c/validate_harness.c (built the same way) covers the recording validator and DTW: it
runs kwsc_validate_* over a PCM file (static caller memory, fixed or LCG-random chunks, error
paths, reset / re-init determinism) and writes every kwsc_validate_metrics field, which must
equal ``kwsc.validate.Validator().raw``; runs extreme but valid validator configs; and writes
kwsc_dtw_distance (scratch of exactly KWSC_DTW_SCRATCH_WORDS(band) int32 on the heap) and
kwsc_enroll_consistency over cepstra, which must equal the cffi calls.

The module is skipped only when there is no C compiler or it cannot link -fsanitize=address.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import kwsc
from kwsc import signals, validate
from kwsc._kwsc_c import ffi, lib

ROOT = Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
HARNESS_SRC = Path(__file__).resolve().parent / "c" / "frontend_harness.c"
VALIDATE_HARNESS_SRC = Path(__file__).resolve().parent / "c" / "validate_harness.c"

SANITIZE_FLAGS = [
    "-std=c99",
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-Wall",
    "-Wextra",
    "-Werror",
]
SANITIZER_REPORT = re.compile(
    r"AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error:|SUMMARY: \w+Sanitizer"
)
NUM_CEPS = 13
WINDOW = 480
RATE = 16000
CHUNK_SIZES = [1, 7, 320, 481, "whole"]


def _compiler() -> str | None:
    for name in ("cc", "gcc"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _sanitizer_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)  # the ASan runtime must come first in the library list
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def _compile(
    cc: str, sources: list[Path], exe: Path, include: Path = CSRC, defines: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    command = [cc, *SANITIZE_FLAGS, *defines, f"-I{CSRC}", f"-I{include}", *map(str, sources), "-o", str(exe)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def sanitizer_cc(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A C compiler that links -fsanitize=address,undefined; skips the module if there is none."""
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler (cc/gcc) on PATH: cannot build the ASan/UBSan harness")
    probe_dir = tmp_path_factory.mktemp("sanitizer_probe")
    probe = probe_dir / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    result = subprocess.run(
        [cc, "-fsanitize=address,undefined", str(probe), "-o", str(probe_dir / "probe")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"{cc} cannot link -fsanitize=address,undefined: {result.stderr.strip()[:500]}")
    return cc


@pytest.fixture(scope="session")
def harness(sanitizer_cc: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/c/frontend_harness.c + csrc/*.c under ASan + UBSan, compiled once per session."""
    exe = tmp_path_factory.mktemp("sanitizer_build") / "frontend_harness"
    sources = [HARNESS_SRC, *sorted(CSRC.glob("*.c"))]
    result = _compile(sanitizer_cc, sources, exe)
    assert result.returncode == 0, f"sanitizer build failed:\n{result.stdout}{result.stderr}"
    return exe


@pytest.fixture(scope="session")
def portable_harness(sanitizer_cc: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frontend harness built with KWSC_PORTABLE_BUILTINS: kwsc_common.h's portable paths
    (binary-search msb, no optimiser barrier) instead of the gcc / clang builtins."""
    exe = tmp_path_factory.mktemp("sanitizer_build_portable") / "frontend_harness"
    sources = [HARNESS_SRC, *sorted(CSRC.glob("*.c"))]
    result = _compile(sanitizer_cc, sources, exe, defines=("-DKWSC_PORTABLE_BUILTINS",))
    assert result.returncode == 0, f"sanitizer build failed:\n{result.stdout}{result.stderr}"
    return exe


@pytest.fixture(scope="session")
def validate_harness(sanitizer_cc: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/c/validate_harness.c + csrc/*.c under ASan + UBSan, compiled once per session."""
    exe = tmp_path_factory.mktemp("sanitizer_build_validate") / "validate_harness"
    sources = [VALIDATE_HARNESS_SRC, *sorted(CSRC.glob("*.c"))]
    result = _compile(sanitizer_cc, sources, exe)
    assert result.returncode == 0, f"sanitizer build failed:\n{result.stdout}{result.stderr}"
    return exe


def _run(exe: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=_sanitizer_env(), timeout=300, check=False
    )


def _assert_clean(result: subprocess.CompletedProcess[str], what: str) -> None:
    report = SANITIZER_REPORT.search(result.stderr)
    assert report is None, f"{what}: sanitizer report:\n{result.stderr}"
    assert result.returncode == 0, f"{what}: exit code {result.returncode}:\n{result.stderr}"


def run_harness(
    exe: Path,
    tmp_path: Path,
    pcm: np.ndarray,
    chunk: int,
    seed: int = 1,
    preemph_q15: int = 0,
    hop_samples: int = 320,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the sanitized harness on ``pcm``; returns its (int16 cepstra, int8 features)."""
    pcm_path = tmp_path / "in.pcm"
    out_path = tmp_path / "out.bin"
    np.ascontiguousarray(pcm, dtype="<i2").tofile(pcm_path)
    args = [str(pcm_path), str(chunk), str(out_path), str(seed), str(preemph_q15), str(hop_samples)]
    result = _run(exe, args)
    _assert_clean(result, f"frontend_harness {' '.join(args[1:2] + args[3:])} on {pcm.size} samples")
    data = out_path.read_bytes()
    assert len(data) % (3 * NUM_CEPS) == 0, f"harness output of {len(data)} bytes"
    values = len(data) // 3
    ceps = np.frombuffer(data[: 2 * values], dtype="<i2").astype(np.int16).reshape(-1, NUM_CEPS)
    features = np.frombuffer(data[2 * values :], dtype=np.int8).reshape(-1, NUM_CEPS)
    return ceps, features


@functools.cache
def _frontend(preemph_q15: int = 0, hop_samples: int = 320) -> kwsc.Frontend:
    return kwsc.Frontend(kwsc.FrontendConfig(preemph_q15=preemph_q15, hop_samples=hop_samples))


def assert_matches_binding(
    pcm: np.ndarray, ceps: np.ndarray, features: np.ndarray, preemph_q15: int = 0, hop_samples: int = 320
) -> None:
    frontend = _frontend(preemph_q15, hop_samples)
    expected = frontend.process(pcm)
    assert expected.shape[0] == frontend.config.frame_count(pcm.size)
    assert ceps.shape == expected.shape, f"harness gave {ceps.shape[0]} frames, binding {expected.shape[0]}"
    mismatch = np.argwhere(ceps != expected)
    assert mismatch.size == 0, (
        f"cepstra differ from the binding at {len(mismatch)} positions, first (frame, coef) "
        f"{tuple(mismatch[0])}: harness {ceps[tuple(mismatch[0])]}, binding {expected[tuple(mismatch[0])]} "
        "(if csrc/ changed, is the installed binding stale?)"
    )
    expected_features = frontend.quantize(expected, kwsc.QuantParams.default())
    np.testing.assert_array_equal(features, expected_features)


# ---------------------------------------------------------------------------------------------
# Test signals


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return np.sin(2 * np.pi * hz * t)


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def _noise(std: float, n: int = RATE, seed: int = 0) -> np.ndarray:
    return _to_int16(np.random.default_rng(seed).normal(0.0, std, n))


def _random_int16_extremes() -> np.ndarray:
    rng = np.random.default_rng(7)
    x = rng.integers(-32768, 32768, RATE, dtype=np.int64)
    x[::97] = -32768
    x[::89] = 32767
    x[4000:4600] = np.where(np.arange(600) % 2 == 0, -32768, 32767)  # max pre-emphasised swing
    x[9000:9500] = -32768  # full-scale negative DC
    return x.astype(np.int16)


def _impulses() -> np.ndarray:
    x = np.zeros(RATE, np.int16)
    x[100::1234] = -32768
    x[700::2345] = 32767
    return x


SIGNALS: dict[str, Callable[[], np.ndarray]] = {
    "noise_std16000": lambda: _noise(16000.0, seed=1),  # clips often
    "noise_std3000": lambda: _noise(3000.0, seed=2),
    "noise_std100": lambda: _noise(100.0, seed=3),
    "noise_std1": lambda: _noise(1.0, seed=4),  # a few LSBs
    "square_fullscale": lambda: np.where(_tone(440.0) >= 0, 32767, -32768).astype(np.int16),
    "sine_clipped": lambda: _to_int16(1.5 * 32768 * _tone(1000.0)),
    "silence": lambda: np.zeros(RATE, np.int16),
    "sine_minus60dBFS": lambda: _to_int16(32768 * 1e-3 * _tone(1000.0)),
    "random_int16_extremes": _random_int16_extremes,
    "dc_min": lambda: np.full(RATE // 2, -32768, np.int16),
    "impulses": _impulses,
    "single_sample": lambda: np.array([-32768], np.int16),
    "shorter_than_window": lambda: _noise(3000.0, WINDOW - 1, seed=5),
    "exactly_one_window": lambda: _noise(3000.0, WINDOW, seed=6),
    "window_plus_hop": lambda: _noise(3000.0, WINDOW + 320, seed=7),
}


@functools.cache
def _signal(name: str) -> np.ndarray:
    pcm = SIGNALS[name]()
    pcm.setflags(write=False)
    return pcm


# ---------------------------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("chunk", CHUNK_SIZES)
@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_harness_matches_binding(harness: Path, tmp_path: Path, name: str, chunk: int | str) -> None:
    pcm = _signal(name)
    size = pcm.size if chunk == "whole" else int(chunk)
    ceps, features = run_harness(harness, tmp_path, pcm, size)
    assert_matches_binding(pcm, ceps, features)


@pytest.mark.parametrize("seed", [1, 2, 3, 42, 2024, 0xDEADBEEF])
def test_random_chunking(harness: Path, tmp_path: Path, seed: int) -> None:
    """A 3 s clip fed in LCG-drawn chunk sizes (empty to 5000 samples)."""
    rng = np.random.default_rng(seed)
    pcm = _to_int16(rng.normal(0.0, 2000.0, 3 * RATE))
    burst = rng.integers(0, pcm.size - 2000)
    pcm[burst : burst + 2000] = _to_int16(40000 * rng.uniform(-1, 1, 2000))  # clipped burst
    ceps, features = run_harness(harness, tmp_path, pcm, chunk=0, seed=seed)
    assert_matches_binding(pcm, ceps, features)


@pytest.mark.parametrize(
    ("name", "preemph_q15", "hop_samples", "seconds"),
    [
        ("random_int16_extremes", 31785, 320, 1.0),
        ("random_int16_extremes", 32767, 160, 1.0),
        ("square_fullscale", 32767, 480, 1.0),
        ("noise_std3000", 0, 480, 1.0),
        ("noise_std3000", 31785, 1, 0.25),
        ("sine_minus60dBFS", 31785, 7, 0.5),
    ],
)
def test_config_overrides(
    harness: Path, tmp_path: Path, name: str, preemph_q15: int, hop_samples: int, seconds: float
) -> None:
    """Pre-emphasis and hop overrides (not part of the tables), random chunking."""
    pcm = np.ascontiguousarray(_signal(name)[: int(RATE * seconds)])
    ceps, features = run_harness(harness, tmp_path, pcm, 0, 99, preemph_q15, hop_samples)
    assert_matches_binding(pcm, ceps, features, preemph_q15, hop_samples)


@pytest.mark.parametrize("preemph_q15", [0, 31785])
@pytest.mark.parametrize("name", ["noise_std100", "random_int16_extremes", "sine_minus60dBFS", "dc_min"])
def test_portable_builtins_match_binding(portable_harness: Path, tmp_path: Path, name: str, preemph_q15: int) -> None:
    """Without the compiler builtins (a compiler other than gcc / clang) the output is the same."""
    pcm = np.ascontiguousarray(_signal(name)[:RATE])
    ceps, features = run_harness(portable_harness, tmp_path, pcm, 0, 7, preemph_q15)
    assert ceps.shape[0] > 0
    assert_matches_binding(pcm, ceps, features, preemph_q15)


def test_empty_input(harness: Path, tmp_path: Path) -> None:
    ceps, features = run_harness(harness, tmp_path, np.zeros(0, np.int16), chunk=5)
    assert ceps.shape == (0, NUM_CEPS)
    assert features.shape == (0, NUM_CEPS)


# ---------------------------------------------------------------------------------------------
# Recording validator and DTW (tests/c/validate_harness.c)

#: kwsc_validate_metrics fields in struct order, and whether each is signed: the harness writes
#: them as 32-bit words in this order.
METRIC_FIELDS = [(name, not f.type.cname.startswith("uint")) for name, f in ffi.typeof("kwsc_validate_metrics").fields]
#: Extreme validator configs (validate_harness.c variant_config) and dtw-stress cases.
NUM_VARIANTS = 15
NUM_DTW_STRESS = 7
#: kwsc_dtw_distance's Q8 result over Q6 cepstra: kwsc.validate.dtw_distance divides by this.
DTW_SCALE = 256 * 2**6
DTW_SPANS = [(1, 12), (0, 13)]  # (first, dims): kwsc.validate's c1..c12, and all 13
DTW_BANDS = [0, 1, 5, 50]
ENROLL_BANDS = [5, 50]
ENROLL_RATIO_Q8 = 512
VALIDATE_CHUNKS = [1, 7, 320, 333, 4096, "whole", "random"]


def _random_pcm(n: int, seed: int, std: float | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if std is None:
        return rng.integers(-32768, 32768, n, dtype=np.int64).astype(np.int16)
    return _to_int16(rng.normal(0.0, std, n))


def _near_silence() -> np.ndarray:
    """Sparse +-1 samples (every block energy rounds to 0) around a burst of noise."""
    x = np.zeros(2 * RATE, np.int16)
    x[::97] = 1
    x[::193] = -1
    x[RATE // 2 : RATE // 2 + 8000] = _random_pcm(8000, 9, 2000.0)
    return x


def _sub_lsb_background() -> np.ndarray:
    """A few background blocks of energy ~1 among zeros: mean background energy per block 0."""
    x = np.zeros(3 * RATE, np.int16)
    x[: 5 * 320] = np.clip(_random_pcm(5 * 320, 11, 1.2), -5, 5)
    x[RATE : RATE + 8000] = _random_pcm(8000, 12, 2000.0)
    return x


def _burst_long() -> np.ndarray:
    """5.5 s (275 blocks > max_frames 250) of quiet noise around a clipped burst."""
    x = _random_pcm(int(5.5 * RATE), 10, 30.0)
    x[40000:52000] = _to_int16(50000 * np.sin(np.arange(12000) * 0.05))
    return x


@functools.cache
def _defects() -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    return signals.recording_defects(1)


def _defect(name: str) -> np.ndarray:
    return _defects()[name][0]


RECORDINGS: dict[str, Callable[[], np.ndarray]] = {
    **{f"defect {name}": functools.partial(_defect, name) for name in sorted(_defects())},
    "empty": lambda: np.zeros(0, np.int16),
    "one sample": lambda: np.array([-32768], np.int16),
    "one sample short of a block": lambda: _random_pcm(319, 3),
    "one window": lambda: _random_pcm(WINDOW, 4, 3000.0),
    "uniform 1 s": lambda: _random_pcm(RATE, 5),
    "exactly max_frames blocks": lambda: _random_pcm(250 * 320, 6, 3000.0),
    "max_frames blocks + 1 sample": lambda: _random_pcm(250 * 320 + 1, 7, 3000.0),
    "longer than 5 s": _burst_long,
    "near silence": _near_silence,
    "sub-LSB background": _sub_lsb_background,
    "dc min": lambda: np.full(RATE // 2, -32768, np.int16),
}  # fmt: skip


@functools.cache
def _recording(name: str) -> np.ndarray:
    pcm = np.ascontiguousarray(RECORDINGS[name](), dtype=np.int16)
    pcm.setflags(write=False)
    return pcm


@functools.cache
def _validator(hop_samples: int = 320, max_frames: int = 250) -> validate.Validator:
    frontend_config = kwsc.FrontendConfig(hop_samples=hop_samples)
    config = validate.ValidateConfig(max_duration_s=max_frames * hop_samples / RATE)
    assert config.to_c(frontend_config).max_frames == max_frames
    return validate.Validator(config, frontend_config)


def run_validate_harness(
    exe: Path, tmp_path: Path, pcm: np.ndarray, chunk: int, seed: int = 1, hop_max: tuple[int, int] | None = None
) -> dict[str, int]:
    """Run ``validate_harness validate`` on ``pcm``; returns its metrics by field name."""
    pcm_path = tmp_path / "in.pcm"
    out_path = tmp_path / "metrics.bin"
    np.ascontiguousarray(pcm, dtype="<i2").tofile(pcm_path)
    args = ["validate", str(pcm_path), str(chunk), str(out_path), str(seed), *map(str, hop_max or ())]
    result = _run(exe, args)
    _assert_clean(result, f"validate_harness {' '.join(args[2:3] + args[4:])} on {pcm.size} samples")
    data = out_path.read_bytes()
    assert len(data) == 4 * len(METRIC_FIELDS), f"{len(data)} bytes for {len(METRIC_FIELDS)} metrics"
    signed = np.frombuffer(data, "<i4")
    unsigned = np.frombuffer(data, "<u4")
    return {name: int(signed[k] if is_signed else unsigned[k]) for k, (name, is_signed) in enumerate(METRIC_FIELDS)}


def test_harness_default_config_is_the_bindings() -> None:
    """The harness uses kwsc_validate_config_default; Validator() converts ValidateConfig(): same fields."""
    c_default = ffi.new("kwsc_validate_config *")
    lib.kwsc_validate_config_default(c_default)
    converted = validate.ValidateConfig().to_c(kwsc.FrontendConfig())
    for name, _ in ffi.typeof("kwsc_validate_config").fields:
        assert getattr(converted, name) == getattr(c_default, name), name


@pytest.mark.parametrize("chunk", VALIDATE_CHUNKS)
@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_validator_matches_binding(validate_harness: Path, tmp_path: Path, name: str, chunk: int | str) -> None:
    pcm = _recording(name)
    size = {"random": 0, "whole": max(pcm.size, 1)}.get(str(chunk), chunk)
    seed = 7 + sorted(RECORDINGS).index(name)
    metrics = run_validate_harness(validate_harness, tmp_path, pcm, int(size), seed)
    assert metrics == _validator().raw(pcm), "(if csrc/ changed, is the installed binding stale?)"


@pytest.mark.parametrize(
    ("name", "hop_samples", "max_frames"),
    [
        ("defect clean", 160, 500),
        ("defect two words", 480, 100),
        ("defect tone", 256, 312),
        ("longer than 5 s", 16, 30000),
        ("longer than 5 s", 400, 8),
    ],
)
def test_validator_hop_overrides(
    validate_harness: Path, tmp_path: Path, name: str, hop_samples: int, max_frames: int
) -> None:
    """Another hop (frontend and validator) and max_frames, random chunking."""
    pcm = _recording(name)
    metrics = run_validate_harness(validate_harness, tmp_path, pcm, 0, 5, (hop_samples, max_frames))
    assert metrics == _validator(hop_samples, max_frames).raw(pcm)


def _run_extremes(exe: Path, tmp_path: Path, pcm: np.ndarray, variant: int) -> None:
    pcm_path = tmp_path / "in.pcm"
    np.ascontiguousarray(pcm, dtype="<i2").tofile(pcm_path)
    _assert_clean(_run(exe, ["extremes", str(pcm_path), str(variant), "3"]), f"extremes variant {variant}")


@pytest.mark.parametrize(
    "variant",
    [v for v in range(NUM_VARIANTS)],
)
@pytest.mark.parametrize(
    "name", ["defect clean", "defect two words", "defect clipped", "longer than 5 s", "one sample short of a block"]
)
def test_validator_extreme_configs(validate_harness: Path, tmp_path: Path, name: str, variant: int) -> None:
    """Extreme but valid configs: no undefined behaviour, metrics independent of the chunking."""
    _run_extremes(validate_harness, tmp_path, _recording(name), variant)


@pytest.mark.parametrize("variant", range(NUM_VARIANTS))
@pytest.mark.parametrize("name", ["empty", "one sample"])
def test_validator_extreme_configs_tiny_input(validate_harness: Path, tmp_path: Path, name: str, variant: int) -> None:
    """No samples, or one (a block of energy 0): the noise floor is 0, so variant 14 cannot overflow."""
    _run_extremes(validate_harness, tmp_path, _recording(name), variant)


def test_harness_variant_counts(validate_harness: Path, tmp_path: Path) -> None:
    """NUM_VARIANTS and NUM_DTW_STRESS match the harness."""
    pcm_path = tmp_path / "in.pcm"
    pcm_path.write_bytes(b"")
    result = _run(validate_harness, ["extremes", str(pcm_path), str(NUM_VARIANTS)])
    assert result.returncode == 2 and f"(there are {NUM_VARIANTS})" in result.stderr, result.stderr
    result = _run(validate_harness, ["dtw-stress", str(NUM_DTW_STRESS)])
    assert result.returncode == 2 and f"(there are {NUM_DTW_STRESS})" in result.stderr, result.stderr


def _dtw_raw(a: np.ndarray, b: np.ndarray, first: int, dims: int, band: int) -> int:
    return validate.dtw_distance_raw(a, b, first, dims, band)


def _enroll_raw(seqs: list[np.ndarray], band: int) -> list[int]:
    """nearest_q8 of every take, then the outlier mask, from the binding."""
    nearest, outliers = validate.enroll_consistency_raw(seqs, 1, 12, band, ENROLL_RATIO_Q8, 0)
    return [*nearest, outliers]


def expected_dtw_words(seqs: list[np.ndarray]) -> list[int]:
    """What ``validate_harness dtw`` writes, from the cffi binding."""
    words = []
    for first, dims in DTW_SPANS:
        for band in DTW_BANDS:
            for i, a in enumerate(seqs):
                for j, b in enumerate(seqs):
                    if i == j:
                        continue
                    raw = _dtw_raw(a, b, first, dims, band)
                    if (first, dims) == (validate.DTW_FIRST, validate.DTW_DIMS):
                        value = validate.dtw_distance(a, b, band)
                        assert (lib.KWSC_DTW_INFINITE if value is None else value * DTW_SCALE) == raw
                    words.append(raw)
    if len(seqs) >= 3:
        for band in ENROLL_BANDS:
            words.extend(_enroll_raw(seqs, band))
    return words


def run_dtw_harness(exe: Path, tmp_path: Path, seqs: list[np.ndarray]) -> list[int]:
    paths = []
    for k, seq in enumerate(seqs):
        assert seq.ndim == 2 and seq.shape[1] == NUM_CEPS
        path = tmp_path / f"seq{k}.i16"
        np.ascontiguousarray(seq, dtype="<i2").tofile(path)
        paths.append(str(path))
    out_path = tmp_path / "dtw.bin"
    result = _run(exe, ["dtw", str(out_path), *paths])
    _assert_clean(result, f"validate_harness dtw on {[s.shape[0] for s in seqs]} frames")
    data = np.frombuffer(out_path.read_bytes(), "<i4")
    n = len(seqs)
    assert data.size == 2 * len(DTW_BANDS) * n * (n - 1) + (len(ENROLL_BANDS) * (n + 1) if n >= 3 else 0)
    return [int(w) for w in data]  # outlier masks use bits 0..15 only: int32 reads them unchanged


@functools.cache
def _cepstra(duration_s: float, level_dbfs: float, seed: int, noise_dbfs: float | None = None) -> np.ndarray:
    pcm = signals.word_like(duration_s, level_dbfs, seed=seed)
    if noise_dbfs is not None:
        pcm = signals.take(pcm, 0.05, 0.05, noise_dbfs, seed=seed + 50)
    ceps = _frontend().process(pcm)
    ceps.setflags(write=False)
    return ceps


DTW_SETS: dict[str, Callable[[], list[np.ndarray]]] = {
    "two words": lambda: [_cepstra(0.6, -20, 1), _cepstra(0.5, -20, 2)],
    # Four takes of one word (levels, lengths via noise padding) and one other word: an outlier.
    "five takes, one outlier": lambda: [
        _cepstra(0.6, -20, 1), _cepstra(0.6, -26, 1), _cepstra(0.6, -14, 1, -60.0), _cepstra(0.6, -20, 1, -50.0),
        _cepstra(0.8, -20, 3),
    ],
    "three different words": lambda: [_cepstra(0.4, -20, 4), _cepstra(0.7, -30, 5), _cepstra(0.9, -10, 6)],
    "sixteen takes": lambda: [_cepstra(0.3 + 0.04 * k, -20 - k % 5, 10 + k % 4) for k in range(16)],
    "empty and two-frame sequences": lambda: [
        _cepstra(0.6, -20, 1), np.zeros((0, NUM_CEPS), np.int16), _cepstra(0.6, -20, 1)[:2], _cepstra(0.5, -20, 2),
    ],
    "one-frame sequences": lambda: [
        _cepstra(0.6, -20, 2)[10:11], _cepstra(0.6, -20, 1), _cepstra(0.6, -20, 3)[:1], _cepstra(0.5, -20, 4)[:2],
    ],
    "full-scale cepstra": lambda: [
        np.where(np.arange(40 * NUM_CEPS).reshape(40, NUM_CEPS) % 2 == 0, -32768, 32767).astype(np.int16),
        np.where(np.arange(30 * NUM_CEPS).reshape(30, NUM_CEPS) % 3 == 0, 32767, -32768).astype(np.int16),
        _cepstra(0.6, -20, 1),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DTW_SETS))
def test_dtw_matches_binding(validate_harness: Path, tmp_path: Path, name: str) -> None:
    seqs = DTW_SETS[name]()
    words = run_dtw_harness(validate_harness, tmp_path, seqs)
    assert words == expected_dtw_words(seqs)


@pytest.mark.parametrize(
    "case",
    [c for c in range(NUM_DTW_STRESS)],
)
def test_dtw_stress(validate_harness: Path, case: int) -> None:
    """Synthetic sequences at the limits (full scale, 32 dims, 65535 frames, one frame, widest band)."""
    _assert_clean(_run(validate_harness, ["dtw-stress", str(case)]), f"dtw-stress {case}")


CANARY = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
static int16_t *volatile escape;
int main(int argc, char **argv)
{
    volatile int32_t big = INT32_MAX - (int32_t)(argc - 2);
    int16_t *p = (int16_t *)malloc(4 * sizeof(int16_t));
    int result;
    memset(p, 0, 4 * sizeof(int16_t));
    if (strcmp(argv[1], "heap") == 0) {
        volatile size_t bytes = 5 * sizeof(int16_t);
        int16_t copy[5];
        memcpy(copy, p, bytes);              /* reads one int16 past the end */
        result = copy[0];
    } else if (strcmp(argv[1], "overflow") == 0) {
        result = (int)(big + (int32_t)argc); /* signed overflow */
    } else {
        result = 0;
        escape = p;                          /* keep the allocation, then leak it */
        escape = NULL;
        p = NULL;
    }
    free(p);
    return result == 12345;
}
"""


@pytest.mark.parametrize(
    ("mode", "report"),
    [
        ("heap", "AddressSanitizer: heap-buffer-overflow"),
        ("overflow", "runtime error: signed integer overflow"),
        ("leak", "LeakSanitizer: detected memory leaks"),
    ],
)
def test_sanitizers_are_active(sanitizer_cc: str, tmp_path: Path, mode: str, report: str) -> None:
    """Control: the same flags and options do catch a heap overflow, signed overflow and a leak."""
    source = tmp_path / "canary.c"
    source.write_text(CANARY)
    flags = [f for f in SANITIZE_FLAGS if f not in ("-Wall", "-Wextra", "-Werror")]
    exe = tmp_path / "canary"
    build = subprocess.run(
        [sanitizer_cc, *flags, str(source), "-o", str(exe)], capture_output=True, text=True, check=False
    )
    assert build.returncode == 0, build.stderr
    result = _run(exe, [mode])
    assert result.returncode != 0
    assert report in result.stderr, result.stderr


NN_HARNESS_SRC = Path(__file__).resolve().parent / "c" / "nn_harness.c"


def test_exported_model_c_under_sanitizers_equals_the_host_runtime(
    sanitizer_cc: str, zoo_tflite: bytes, tmp_path: Path
) -> None:
    """The C that `kwsc export` writes, compiled with csrc/kwsc_nn.c, is warning-free C99, stays
    inside its exact arena (heap-allocated, so ASan sees any stray access) and gives the host
    runtime's outputs bit for bit."""
    from conftest import zoo_windows
    from kwsc.export import export
    from kwsc.runtime import Runtime

    (tmp_path / "model.tflite").write_bytes(zoo_tflite)
    _, source, _ = export(tmp_path / "model.tflite", tmp_path / "export")
    exe = tmp_path / "nn_harness"
    result = _compile(sanitizer_cc, [NN_HARNESS_SRC, source, CSRC / "kwsc_nn.c"], exe, include=source.parent)
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    windows = zoo_windows(64)
    windows.tofile(tmp_path / "windows.i8")
    run = _run(exe, [str(tmp_path / "windows.i8"), str(tmp_path / "out.i8")])
    _assert_clean(run, "nn_harness")
    device = np.fromfile(tmp_path / "out.i8", np.int8).reshape(len(windows), -1)
    np.testing.assert_array_equal(device, Runtime.from_tflite(zoo_tflite).run(windows))


DETECT_HARNESS_SRC = Path(__file__).resolve().parent / "c" / "detect_harness.c"


@pytest.fixture(scope="module")
def detect_build(sanitizer_cc: str, zoo_tflite: bytes, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """tests/c/detect_harness.c + csrc/*.c + the exported zoo model under ASan + UBSan, and a
    model folder for the same model (8 of its 12 classes as keywords, quantisation learned on a
    speech-like signal so the outputs move): (harness, model folder)."""
    import json

    from kwsc.export import export

    folder = tmp_path_factory.mktemp("detect_sanitizer")
    (folder / "model.tflite").write_bytes(zoo_tflite)
    _, source, _ = export(folder / "model.tflite", folder / "export")
    ceps = kwsc.Frontend().process(signals.speech_like(6.0, seed=5)) / 64.0
    quant = kwsc.QuantParams.from_affine(ceps.mean(axis=0), 4.0 * np.maximum(ceps.std(axis=0), 1e-3) / 128.0)
    labels = [f"word{k}" for k in range(12)]
    meta = {"labels": labels, "keywords": labels[:8], "frontend": {"config": kwsc.FrontendConfig().to_dict()},
            "normalization": {"quant": quant.to_dict()}}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta))
    exe = folder / "detect_harness"
    result = _compile(sanitizer_cc, [DETECT_HARNESS_SRC, source, *sorted(CSRC.glob("*.c"))], exe, source.parent)
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    return exe, folder


@pytest.mark.parametrize(
    ("chunk", "stride", "smooth", "threshold", "refractory", "keywords"),
    [(0, 4, 3, 0.1, 50, 8), (1, 1, 1, 0.0, 0, 1), (481, 3, 64, 0.05, 7, 3), (0, 7, 5, 1.0, 50, 8)],
)
def test_detector_c_under_sanitizers_equals_the_binding(
    detect_build: tuple[Path, Path], tmp_path: Path, chunk: int, stride: int, smooth: int, threshold: float,
    refractory: int, keywords: int,
) -> None:  # fmt: skip
    """The detector stays inside its exact memory block (and its records array) under ASan and
    UBSan, with random chunking and a record capacity of 1..4 per push, and writes the records
    the Python binding returns, byte for byte."""
    import json

    from kwsc.detector import RECORD_DTYPE, DetectConfig, Detector

    exe, folder = detect_build
    meta = json.loads((folder / "meta.json").read_text())
    meta["keywords"] = meta["labels"][:keywords]
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.tflite").write_bytes((folder / "model.tflite").read_bytes())
    (model / "meta.json").write_text(json.dumps(meta))
    config = DetectConfig(stride, smooth, threshold, refractory * 320 / RATE)
    detector = Detector.from_folder(model, config)
    assert detector.refractory_frames == refractory
    pcm = np.concatenate([signals.speech_like(4.0, seed=6), signals.pink_noise(1.0, -30.0), signals.silence(0.5)])
    pcm.astype("<i2").tofile(tmp_path / "pcm.i16")
    q = detector.quant
    np.concatenate([q.offset_q6, q.scale_q16, [q.zero_point]]).astype("<i4").tofile(tmp_path / "quant.i32")
    args = [str(tmp_path / "pcm.i16"), str(tmp_path / "quant.i32"), str(tmp_path / "out.bin"), str(chunk), "11",
            str(stride), str(smooth), str(detector.threshold_q8), str(refractory), str(keywords)]  # fmt: skip
    run = _run(exe, args)
    _assert_clean(run, "detect_harness")
    device = np.fromfile(tmp_path / "out.bin", RECORD_DTYPE)
    host = detector.run(pcm)
    assert len(device) == len(host) > 30
    np.testing.assert_array_equal(device["frame"], host.frames)
    np.testing.assert_array_equal(device["prob_q8"][:, :keywords], host.probs_q8)
    assert not device["prob_q8"][:, keywords:].any() and not device["reserved"].any()
    np.testing.assert_array_equal(device["keyword"], host.keywords)
    if threshold < 1.0:
        assert (host.keywords >= 0).sum() >= 2
