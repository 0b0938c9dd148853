"""The C core built and run under AddressSanitizer + UndefinedBehaviorSanitizer.

tests/c/frontend_harness.c and every csrc/*.c are compiled once per session with
``-fsanitize=address,undefined -fno-sanitize-recover=all`` (and ``-Wall -Wextra -Werror``). The
harness streams a PCM file through the frontend in chunks (fixed sizes, or an LCG-driven random
pattern), with output limits that keep exercising the "no room for a frame, input not consumed"
path, checks the init/push/quantize error paths and reset + re-run, and writes the cepstra and
int8 features. Each run must exit 0 with no sanitizer report, and its output must be
bit-identical to the cffi binding (``kwsc.Frontend().process`` / ``.quantize``) on the same input.

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

ROOT = Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
HARNESS_SRC = Path(__file__).resolve().parent / "c" / "frontend_harness.c"

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


def _compile(cc: str, sources: list[Path], exe: Path) -> subprocess.CompletedProcess[str]:
    command = [cc, *SANITIZE_FLAGS, f"-I{CSRC}", *map(str, sources), "-o", str(exe)]
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


def test_empty_input(harness: Path, tmp_path: Path) -> None:
    ceps, features = run_harness(harness, tmp_path, np.zeros(0, np.int16), chunk=5)
    assert ceps.shape == (0, NUM_CEPS)
    assert features.shape == (0, NUM_CEPS)


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
