"""Shared pieces of the frontend-throughput benchmarks: workloads, test audio, implementations.

Used by ``bench/conftest.py`` / ``bench/test_frontend_speed.py`` (pytest-benchmark) and by
``bench/report_frontend_speed.py`` (stand-alone Markdown report).

Two workloads (:data:`WORKLOADS`), both made of deterministic speech-like int16 PCM from
:func:`kwsc.signals.speech_like` (16 kHz, fixed seeds and level, nothing downloaded):

* ``stream``: one 10 s clip, one call. Long input lets vectorised libraries (librosa) amortise
  their per-call overhead over many frames.
* ``clips``: 50 distinct 1 s clips, one call per clip. This is what a keyword-spotting dataset
  compiler runs, and per-call overhead matters much more here.

Every implementation is wrapped as a zero-argument callable that turns a workload's clips
(prepared once, in the input format the implementation takes natively) into features with one
library call per clip, and returns the total number of feature frames it produced. Input
conversion that a caller would do once per clip anyway (int16 -> float32 for librosa,
int16 -> bytes for pymicro-features) is done outside the timed call. Everything the library itself
does per clip is inside it, including its per-call set-up and Python overhead.

Units: sample rate in Hz, durations in seconds, throughput in "x realtime" = seconds of audio
processed per second of wall-clock time.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from kwsc.signals import speech_like

#: Sample rate of the benchmark audio, Hz (that of :mod:`kwsc.signals`).
SAMPLE_RATE_HZ = 16000
#: RMS level of every benchmark clip, dBFS (:func:`kwsc.signals.speech_like`'s default).
AUDIO_LEVEL_DBFS = -26.0
#: Seed of the ``stream`` clip; the ``clips`` workload uses the next ``CLIPS_COUNT`` seeds.
AUDIO_SEED = 20240611
#: Length of the ``stream`` clip, seconds.
STREAM_SECONDS = 10.0
#: Number and length (seconds) of the clips of the ``clips`` workload.
CLIPS_COUNT = 50
CLIP_SECONDS = 1.0
#: ``kwsc.process_batch`` gets at least this many clips per call (the workload's clips repeated
#: as needed: 16 copies of the 10 s stream clip, the 50 distinct clips once).
BATCH_MIN_CLIPS = 16
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


@dataclass(frozen=True)
class Workload:
    """A set of clips that every implementation processes with one call per clip.

    Attributes:
        key: short identifier (pytest id, JSON key).
        clip_seconds: length of each clip, seconds.
        num_clips: number of distinct clips.
        first_seed: seed of the first clip; clip ``i`` uses ``first_seed + i``.
        description: one line on what the workload stands for.
    """

    key: str
    clip_seconds: float
    num_clips: int
    first_seed: int
    description: str

    @property
    def label(self) -> str:
        """Human-readable name for tables and pytest-benchmark groups."""
        if self.num_clips == 1:
            return f"{self.key}: one {self.clip_seconds:g} s clip"
        return f"{self.key}: {self.num_clips} x {self.clip_seconds:g} s clips"

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio in the workload (all clips)."""
        return self.num_clips * self.clip_seconds

    def make_audio(self) -> tuple[np.ndarray, ...]:
        """The workload's clips: int16 speech-like PCM at 16 kHz, ``AUDIO_LEVEL_DBFS`` RMS each."""
        return tuple(
            speech_like(self.clip_seconds, level_dbfs=AUDIO_LEVEL_DBFS, seed=self.first_seed + i)
            for i in range(self.num_clips)
        )


STREAM = Workload(
    key="stream",
    clip_seconds=STREAM_SECONDS,
    num_clips=1,
    first_seed=AUDIO_SEED,
    description="one long clip, one call: per-call overhead amortised over many frames",
)
CLIPS = Workload(
    key="clips",
    clip_seconds=CLIP_SECONDS,
    num_clips=CLIPS_COUNT,
    first_seed=AUDIO_SEED + 1,
    description="many short clips, one call each: what a keyword-spotting dataset compiler runs",
)
WORKLOADS: tuple[Workload, ...] = (STREAM, CLIPS)


def workload_by_key(key: str) -> Workload:
    """The workload with identifier ``key``."""
    for workload in WORKLOADS:
        if workload.key == key:
            return workload
    raise KeyError(key)


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
        min_clips: one timed call processes the workload's clips repeated until there are at
            least this many (1 except process_batch, which needs several clips to use its threads).
        competitor: True for the libraries kwsc is compared against.
        note: caveat printed with the results.
        make: factory: the (converted-once) clips -> the timed callable, which returns frames.
    """

    key: str
    label: str
    distribution: str
    module: str
    frames_per_second: float
    cores: int = 1
    min_clips: int = 1
    competitor: bool = True
    note: str = ""
    make: Callable[[Sequence[np.ndarray]], Callable[[], int]] | None = field(default=None, repr=False)

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

    def inputs(self, clips: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
        """The clips one timed call processes: ``clips`` repeated up to ``min_clips``."""
        copies = -(-self.min_clips // len(clips))  # ceil
        return tuple(clips) * copies

    def audio_seconds(self, clips: Sequence[np.ndarray]) -> float:
        """Seconds of audio one timed call processes (all its clips), for the x-realtime figure."""
        return sum(pcm.size for pcm in self.inputs(clips)) / SAMPLE_RATE_HZ

    def expected_frames(self, clips: Sequence[np.ndarray]) -> tuple[int, int]:
        """(approximate frames one call should return, tolerance): framing edges differ by clip."""
        inputs = self.inputs(clips)
        expected = sum(round(self.frames_per_second * pcm.size / SAMPLE_RATE_HZ) for pcm in inputs)
        return expected, 2 * len(inputs)

    def prepare(self, clips: Sequence[np.ndarray]) -> Callable[[], int]:
        """The timed callable for ``clips`` (int16, 16 kHz); it returns the total frames produced."""
        if self.make is None:
            raise RuntimeError(f"{self.key}: no factory")
        return self.make(self.inputs(clips))


def _make_kwsc_process(clips: Sequence[np.ndarray]) -> Callable[[], int]:
    import kwsc

    frontend = kwsc.Frontend()  # built once, as a dataset compiler would; process() resets state

    def run() -> int:
        return sum(int(frontend.process(pcm).shape[0]) for pcm in clips)

    return run


def _make_kwsc_batch(clips: Sequence[np.ndarray]) -> Callable[[], int]:
    import kwsc

    batch = [pcm.copy() for pcm in clips]  # distinct buffers even where the clips repeat

    def run() -> int:
        return sum(int(c.shape[0]) for c in kwsc.process_batch(batch, workers=BATCH_WORKERS))

    return run


def _make_librosa(clips: Sequence[np.ndarray]) -> Callable[[], int]:
    import librosa

    ys = [pcm.astype(np.float32) / 32768.0 for pcm in clips]

    def run() -> int:
        frames = 0
        for y in ys:
            mfcc = librosa.feature.mfcc(
                y=y,
                sr=SAMPLE_RATE_HZ,
                n_mfcc=NUM_CEPS,
                n_fft=FFT_SIZE,
                win_length=WINDOW_SAMPLES,
                hop_length=HOP_SAMPLES,
                n_mels=NUM_MEL,
                fmin=MEL_LOW_HZ,
                fmax=MEL_HIGH_HZ,
                center=False,
                htk=True,
            )
            frames += int(mfcc.shape[1])
        return frames

    return run


def _make_python_speech_features(clips: Sequence[np.ndarray]) -> Callable[[], int]:
    import python_speech_features

    def run() -> int:
        frames = 0
        for pcm in clips:
            mfcc = python_speech_features.mfcc(
                pcm,
                samplerate=SAMPLE_RATE_HZ,
                winlen=WINDOW_SAMPLES / SAMPLE_RATE_HZ,
                winstep=HOP_SAMPLES / SAMPLE_RATE_HZ,
                numcep=NUM_CEPS,
                nfilt=NUM_MEL,
                nfft=FFT_SIZE,
                lowfreq=MEL_LOW_HZ,
                highfreq=MEL_HIGH_HZ,
            )
            frames += int(mfcc.shape[0])
        return frames

    return run


def _make_pymicro_features(clips: Sequence[np.ndarray]) -> Callable[[], int]:
    from pymicro_features import MicroFrontend

    audios = [pcm.tobytes() for pcm in clips]
    step_bytes = 2 * MICRO_STEP_SAMPLES
    frontend = MicroFrontend()

    def run() -> int:
        # Its API takes 16-bit little-endian PCM bytes and consumes at most one 10 ms step per
        # call, returning one 40-channel frame (or none while the first window fills). Each clip
        # starts from a reset state, like a fresh call of the other libraries.
        frames = 0
        for audio in audios:
            frontend.reset()
            for offset in range(0, len(audio), step_bytes):
                if frontend.process_samples(audio[offset : offset + step_bytes]).features:
                    frames += 1
        return frames

    return run


IMPLEMENTATIONS: tuple[Implementation, ...] = (
    Implementation(
        key="kwsc",
        label="kwsc Frontend.process (1 core)",
        distribution="kwsc",
        module="kwsc",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES,
        competitor=False,
        make=_make_kwsc_process,
        note="fixed-point C, int16 in, int16 Q6 cepstra out",
    ),
    Implementation(
        key="kwsc_batch",
        label=f"kwsc process_batch (>= {BATCH_MIN_CLIPS} clips, {BATCH_WORKERS} workers)",
        distribution="kwsc",
        module="kwsc",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES,
        cores=BATCH_WORKERS,
        min_clips=BATCH_MIN_CLIPS,
        competitor=False,
        make=_make_kwsc_batch,
        note=f"threads; uses up to {BATCH_WORKERS} cores, not a single-core figure",
    ),
    Implementation(
        key="librosa",
        label="librosa.feature.mfcc",
        distribution="librosa",
        module="librosa",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES,
        make=_make_librosa,
        note="float32, BLAS pinned to 1 thread",
    ),
    Implementation(
        key="python_speech_features",
        label="python_speech_features.mfcc",
        distribution="python_speech_features",
        module="python_speech_features",
        frames_per_second=SAMPLE_RATE_HZ / HOP_SAMPLES,
        make=_make_python_speech_features,
        note="float64 NumPy; its defaults: rectangular window, pre-emphasis 0.97; pads a last partial frame",
    ),
    Implementation(
        key="pymicro_features",
        label="pymicro-features (TFLM microfrontend)",
        distribution="pymicro-features",
        module="pymicro_features",
        frames_per_second=SAMPLE_RATE_HZ / MICRO_STEP_SAMPLES,
        make=_make_pymicro_features,
        note="fixed 10 ms step: 2x the frames per audio second; 40 log-mel (noise reduction, PCAN), no DCT",
    ),
)


def by_key(key: str) -> Implementation:
    """The implementation with identifier ``key``."""
    for impl in IMPLEMENTATIONS:
        if impl.key == key:
            return impl
    raise KeyError(key)
