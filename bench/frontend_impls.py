"""Shared pieces of the frontend-throughput benchmarks: test audio and the implementations.

Used by ``bench/conftest.py`` / ``bench/test_frontend_speed.py`` (pytest-benchmark) and by
``bench/report_frontend_speed.py`` (stand-alone Markdown report).

Every implementation is wrapped as a zero-argument callable that turns the same 16 kHz mono
clip (prepared once, in the input format the implementation takes natively) into features and
returns the number of feature frames it produced. Input conversion that a caller would do once
per clip anyway (int16 -> float32 for librosa, int16 -> bytes for pymicro-features) is done
outside the timed call; everything the library itself does is inside it.

Units: sample rate in Hz, durations in seconds, throughput in "x realtime" = seconds of audio
processed per second of wall-clock time.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

#: Sample rate of the benchmark audio, Hz.
SAMPLE_RATE_HZ = 16000
#: Length of the benchmark clip, seconds.
AUDIO_SECONDS = 10.0
#: Seed of the NumPy generator that makes the benchmark clip.
AUDIO_SEED = 20240611
#: Clips handed to ``kwsc.process_batch`` (each a copy of the benchmark clip).
BATCH_CLIPS = 16
#: Worker threads for the ``kwsc.process_batch`` benchmark.
BATCH_WORKERS = 2

# Matched analysis parameters (kwsc.FrontendConfig defaults): 30 ms Hann window, 20 ms hop,
# 512-point FFT, 40 mel bands over 60..7600 Hz, 13 cepstra.
WINDOW_SAMPLES = 480
HOP_SAMPLES = 320
FFT_SIZE = 512
NUM_MEL = 40
MEL_LOW_HZ = 60
MEL_HIGH_HZ = 7600
NUM_CEPS = 13

#: pymicro-features (TFLite Micro microfrontend) is fixed at a 10 ms step = 160 samples.
MICRO_STEP_SAMPLES = 160


def speech_like_audio(seconds: float = AUDIO_SECONDS, seed: int = AUDIO_SEED) -> np.ndarray:
    """A deterministic, speech-like 16 kHz mono clip as int16 PCM (Q0, peak about -6 dBFS).

    Voiced part: harmonics of a gliding f0 (about 90..220 Hz, with vibrato), shaped by three
    moving formant resonances and gated by a ~4 Hz syllable envelope. Unvoiced part: bursts of
    high-passed noise (fricatives) between syllables. A -60 dBFS noise floor keeps silent
    stretches from being digital zero. Nothing is downloaded; the same ``seed`` gives the same
    samples on every machine with the same NumPy.

    Args:
        seconds: clip length in seconds.
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        int16 array of ``round(seconds * 16000)`` samples.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ

    # f0 contour in Hz: slow random-phase glides plus 5.5 Hz vibrato.
    drift = np.sin(2 * np.pi * 0.31 * t + rng.uniform(0, 2 * np.pi))
    drift += 0.5 * np.sin(2 * np.pi * 0.83 * t + rng.uniform(0, 2 * np.pi))
    f0 = 150.0 + 45.0 * drift / 1.5 + 4.0 * np.sin(2 * np.pi * 5.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE_HZ

    # Formant centre frequencies (Hz) wander per "syllable"; bandwidths fixed.
    formants = (
        (500.0 + 250.0 * np.sin(2 * np.pi * 1.7 * t), 90.0),
        (1500.0 + 600.0 * np.sin(2 * np.pi * 1.1 * t + 1.0), 120.0),
        (2600.0 + 300.0 * np.sin(2 * np.pi * 0.7 * t + 2.0), 180.0),
    )
    voiced = np.zeros(n)
    for h in range(1, int(MEL_HIGH_HZ // 80) + 1):
        freq = h * f0
        gain = np.zeros(n)
        for centre, bandwidth in formants:
            gain += 1.0 / (1.0 + ((freq - centre) / bandwidth) ** 2)
        gain *= (freq < 0.48 * SAMPLE_RATE_HZ) / h**0.5  # no aliased harmonics; spectral tilt
        voiced += gain * np.sin(h * phase)

    # Syllable envelope (~4 Hz) with pauses, and fricative bursts in the gaps.
    syllable = np.clip(np.sin(2 * np.pi * 3.9 * t + rng.uniform(0, 2 * np.pi)), 0.0, None) ** 0.7
    pauses = np.sin(2 * np.pi * 0.23 * t) > -0.6
    voiced *= syllable * pauses
    noise = rng.standard_normal(n)
    fricative = np.diff(noise, prepend=0.0)  # first difference: a gentle high-pass
    fricative *= np.clip(np.sin(2 * np.pi * 3.9 * t + np.pi), 0.0, None) ** 4 * pauses

    signal = voiced / np.max(np.abs(voiced)) + 0.15 * fricative / np.max(np.abs(fricative))
    signal = 0.5 * signal / np.max(np.abs(signal)) + 1e-3 * rng.standard_normal(n)
    return np.clip(np.rint(signal * 32768.0), -32768, 32767).astype(np.int16)


@contextlib.contextmanager
def single_threaded() -> Iterator[str]:
    """Limit BLAS/OpenMP thread pools to one thread for the duration of the block.

    Uses threadpoolctl when it is installed (it is a scikit-learn/librosa dependency). Without
    it, the limit depends on ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS`` having been set to 1
    before NumPy was imported (the report script does that itself).

    Yields:
        how the limit was applied, for the benchmark metadata.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
        omp = os.environ.get("OMP_NUM_THREADS", "unset")
        yield f"environment only (OPENBLAS_NUM_THREADS={blas}, OMP_NUM_THREADS={omp})"
        return
    with threadpool_limits(limits=1):
        yield "threadpoolctl limits=1"


def package_version(distribution: str) -> str | None:
    """Installed version of ``distribution``, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass
class Implementation:
    """One frontend under test.

    Attributes:
        key: short identifier (pytest id, JSON key).
        label: human-readable name for tables.
        distribution: PyPI distribution that provides it (for the version and "not installed").
        module: module that must import for it to be available.
        frames_per_second: feature frames per second of audio (50 for a 20 ms hop).
        cores: cores it is allowed to use (1, or BATCH_WORKERS for process_batch).
        clips: how many copies of the benchmark clip one call processes.
        competitor: True for the libraries kwsc is compared against.
        note: caveat printed with the results.
    """

    key: str
    label: str
    distribution: str
    module: str
    frames_per_second: float
    cores: int = 1
    clips: int = 1
    competitor: bool = True
    note: str = ""
    make: Callable[[np.ndarray], Callable[[], int]] | None = field(default=None, repr=False)

    def available(self) -> bool:
        """True when the implementation's module imports."""
        try:
            importlib.import_module(self.module)
        except ImportError:
            return False
        return True

    def version(self) -> str | None:
        """Installed version of the providing distribution, or None."""
        return package_version(self.distribution)

    def audio_seconds(self, pcm: np.ndarray) -> float:
        """Seconds of audio one call processes (all clips), for the x-realtime figure."""
        return self.clips * pcm.size / SAMPLE_RATE_HZ

    def prepare(self, pcm: np.ndarray) -> Callable[[], int]:
        """The timed callable for ``pcm`` (int16, 16 kHz); it returns the frames produced."""
        if self.make is None:
            raise RuntimeError(f"{self.key}: no factory")
        return self.make(pcm)


def _make_kwsc_process(pcm: np.ndarray) -> Callable[[], int]:
    import kwsc

    frontend = kwsc.Frontend()

    def run() -> int:
        return int(frontend.process(pcm).shape[0])

    return run


def _make_kwsc_batch(pcm: np.ndarray) -> Callable[[], int]:
    import kwsc

    clips = [pcm.copy() for _ in range(BATCH_CLIPS)]

    def run() -> int:
        return sum(int(c.shape[0]) for c in kwsc.process_batch(clips, workers=BATCH_WORKERS))

    return run


def _make_librosa(pcm: np.ndarray) -> Callable[[], int]:
    import librosa

    y = pcm.astype(np.float32) / 32768.0

    def run() -> int:
        mfcc = librosa.feature.mfcc(
            y=y, sr=SAMPLE_RATE_HZ, n_mfcc=NUM_CEPS, n_fft=FFT_SIZE, win_length=WINDOW_SAMPLES,
            hop_length=HOP_SAMPLES, n_mels=NUM_MEL, fmin=MEL_LOW_HZ, fmax=MEL_HIGH_HZ,
            center=False, htk=True,
        )
        return int(mfcc.shape[1])

    return run


def _make_python_speech_features(pcm: np.ndarray) -> Callable[[], int]:
    import python_speech_features

    def run() -> int:
        mfcc = python_speech_features.mfcc(
            pcm, samplerate=SAMPLE_RATE_HZ, winlen=WINDOW_SAMPLES / SAMPLE_RATE_HZ,
            winstep=HOP_SAMPLES / SAMPLE_RATE_HZ, numcep=NUM_CEPS, nfilt=NUM_MEL, nfft=FFT_SIZE,
            lowfreq=MEL_LOW_HZ, highfreq=MEL_HIGH_HZ,
        )
        return int(mfcc.shape[0])

    return run


def _make_pymicro_features(pcm: np.ndarray) -> Callable[[], int]:
    from pymicro_features import MicroFrontend

    audio = pcm.tobytes()
    step_bytes = 2 * MICRO_STEP_SAMPLES
    frontend = MicroFrontend()

    def run() -> int:
        # Its API takes 16-bit little-endian PCM bytes and consumes at most one 10 ms step per
        # call, returning one 40-channel frame (or none while the first window fills).
        frontend.reset()
        frames = 0
        for offset in range(0, len(audio), step_bytes):
            if frontend.process_samples(audio[offset : offset + step_bytes]).features:
                frames += 1
        return frames

    return run


IMPLEMENTATIONS: tuple[Implementation, ...] = (
    Implementation(
        key="kwsc", label="kwsc Frontend.process (1 core)", distribution="kwsc", module="kwsc",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES, competitor=False, make=_make_kwsc_process,
        note="fixed-point C, int16 in, int16 Q6 cepstra out",
    ),
    Implementation(
        key="kwsc_batch",
        label=f"kwsc process_batch ({BATCH_CLIPS} clips, {BATCH_WORKERS} workers)",
        distribution="kwsc", module="kwsc", frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES,
        cores=BATCH_WORKERS, clips=BATCH_CLIPS, competitor=False, make=_make_kwsc_batch,
        note=f"threads; uses up to {BATCH_WORKERS} cores, not a single-core figure",
    ),
    Implementation(
        key="librosa", label="librosa.feature.mfcc", distribution="librosa", module="librosa",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES, make=_make_librosa,
        note="float32, BLAS pinned to 1 thread",
    ),
    Implementation(
        key="python_speech_features", label="python_speech_features.mfcc",
        distribution="python_speech_features", module="python_speech_features",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES, make=_make_python_speech_features,
        note="float64 NumPy; its defaults: rectangular window, pre-emphasis 0.97; pads a last partial frame",
    ),
    Implementation(
        key="pymicro_features", label="pymicro-features (TFLM microfrontend)",
        distribution="pymicro-features", module="pymicro_features",
        frames_per_second=SAMPLE_RATE_HZ / MICRO_STEP_SAMPLES, make=_make_pymicro_features,
        note="fixed 10 ms step: 2x the frames per audio second; 40 log-mel (noise reduction, PCAN), no DCT",
    ),
)


def by_key(key: str) -> Implementation:
    """The implementation with identifier ``key``."""
    for impl in IMPLEMENTATIONS:
        if impl.key == key:
            return impl
    raise KeyError(key)
