"""Training restarts: the same recipe trained from several seeds, and the model the validation
stream prefers kept.

The training seed alone moves every downstream number by tens of points (README: on the digits
benchmark the held-out-voice and real-speaker FRR of one recipe span 20-60 points over seeds, and
one seed in a few collapses). The validation split's streaming FRR at the threshold chosen for the
target FA/h tracks the held-out-voice FRR closely, so with ``[train] restarts = N`` the train
stage trains seeds ``seed .. seed + N - 1`` and keeps the model with the lowest validation FRR
at its own threshold (ties: the lower validation FA/h, then the lower seed). Test and held-out
audio are never read for the choice.

Each candidate is an ordinary model in the store (the id of a single training with its seed), so
an interrupted run resumes and a later run with more restarts reuses the seeds already trained.
The chosen one is copied, byte for byte, into the model folder of the restarts config itself,
whose lineage lists every candidate with its validation numbers and says which one was kept.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kwsc import lineage
from kwsc.detector import DetectConfig
from kwsc.evaluate import EvalConfig, validation_point
from kwsc.train import ModelConfig, TrainConfig, is_complete, model_id, train_or_reuse

#: The rule, as recorded in the chosen model's lineage.
SELECTION_RULE = (
    "lowest validation FRR at the threshold chosen for the target FA/h on validation (streamed through "
    "the C detector); ties: lower validation FA/h, then lower seed"
)


@dataclass(frozen=True)
class Candidate:
    """One restart: its seed, model id, and its validation operating point."""

    seed: int
    model: str
    reused: bool  # already in the store, not trained by this run
    threshold: float  # keyword probability chosen for the target FA/h on validation
    validation_frr: float
    validation_fa_per_hour: float
    validation_trials: int
    validation_hours: float

    def sort_key(self) -> tuple[float, float, int]:
        """Lower is better: FRR, then FA/h, then seed."""
        return (self.validation_frr, self.validation_fa_per_hour, self.seed)


#: Evaluation settings the validation point does not depend on: eval.json's point serves whatever they are.
UNSCORED = ("level_gains_db",)


def scored_validation(
    folder: Path,
    eval_config: EvalConfig,
    detect_config: DetectConfig,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> dict[str, float]:
    """:func:`kwsc.evaluate.validation_point` of the model in ``folder``, or the same numbers from
    its eval.json when `kwsc eval` already streamed the same dataset version with the same
    evaluation and detector configs (the validation split's part of it is computed alike)."""
    path = folder / "eval.json"
    if path.is_file():
        record = json.loads(path.read_text())
        version = json.loads((folder / "lineage.json").read_text())["dataset_version"]
        derived = ("threshold", "refractory_frames")  # what the evaluation chose or computed
        detector = {k: v for k, v in record.get("detector", {}).items() if k not in derived}
        wanted = {k: v for k, v in dataclasses.asdict(detect_config).items() if k not in derived}
        # As JSON holds it (tuples come back as lists), leaving out what the validation point does not use.
        same = json.loads(json.dumps({k: v for k, v in dataclasses.asdict(eval_config).items() if k not in UNSCORED}))
        stored = {k: v for k, v in record.get("config", {}).items() if k not in UNSCORED}
        if record.get("dataset_version") == version and stored == same and detector == wanted:
            validation = record["validation"]
            return {key: validation[key] for key in ("threshold", "frr", "fa_per_hour", "trials", "negative_hours")}
    return validation_point(folder, eval_config, detect_config, progress)


def choose(candidates: list[Candidate]) -> Candidate:
    """The candidate :data:`SELECTION_RULE` keeps."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    return min(candidates, key=Candidate.sort_key)


def trained_model(
    store_root: str | Path,
    version_dir: str | Path,
    keywords: list[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    eval_config: EvalConfig | None = None,
    detect_config: DetectConfig | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> Path:
    """The train stage's model folder: one training (:func:`kwsc.train.train_or_reuse`) or, with
    ``train_config.restarts`` > 1, the one :func:`train_with_restarts` keeps."""
    if train_config.restarts > 1:
        return train_with_restarts(store_root, version_dir, keywords, model_config, train_config, eval_config,
                                   detect_config, log, progress)[0]  # fmt: skip
    folder, reused = train_or_reuse(store_root, version_dir, keywords, model_config, train_config, log)
    if reused and log is not None:
        log(f"model {folder.name} already trained: reused (delete its folder to train it again)")
    return folder


def train_with_restarts(
    store_root: str | Path,
    version_dir: str | Path,
    keywords: list[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    eval_config: EvalConfig | None = None,
    detect_config: DetectConfig | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> tuple[Path, list[Candidate], Candidate]:
    """Train (or reuse) ``train_config.restarts`` models from consecutive seeds, score each on the
    validation stream (:func:`kwsc.evaluate.validation_point` with ``eval_config``'s target FA/h
    and ``detect_config``'s detector) and store the chosen one as the model of ``train_config``.
    Returns (its folder, every candidate, the chosen candidate)."""
    store_root, version_dir = Path(store_root), Path(version_dir)
    say = log or (lambda _: None)
    folder = store_root / "models" / model_id(version_dir.name, model_config, train_config, keywords)
    if is_complete(folder):  # chosen before: the same candidates, the same choice
        record = json.loads((folder / "lineage.json").read_text())["restarts"]
        candidates = [Candidate(**c, reused=True) for c in record["candidates"]]
        chosen = next(c for c in candidates if c.model == record["chosen"]["model"])
        say(f"{train_config.restarts} restarts already trained and scored: seed {chosen.seed} kept")
        return folder, candidates, chosen
    candidates = []
    for k in range(train_config.restarts):
        seed = train_config.seed + k
        single = dataclasses.replace(train_config, seed=seed, restarts=1)
        say(f"restart {k + 1} of {train_config.restarts}: seed {seed}")
        folder, reused = train_or_reuse(store_root, version_dir, keywords, model_config, single, log)
        point = scored_validation(folder, eval_config or EvalConfig(), detect_config or DetectConfig(), progress)
        candidate = Candidate(seed, folder.name, reused, point["threshold"], point["frr"], point["fa_per_hour"],
                              int(point["trials"]), point["negative_hours"])  # fmt: skip
        say(f"restart {k + 1} of {train_config.restarts}: seed {seed}, model {folder.name[:8]}"
            f"{' (reused)' if reused else ''}: validation FRR {candidate.validation_frr:.1%} at "
            f"{candidate.validation_fa_per_hour:.2f} FA/h (threshold {candidate.threshold:.4f})")  # fmt: skip
        candidates.append(candidate)
    chosen = choose(candidates)
    say(f"kept seed {chosen.seed} (model {chosen.model[:8]}): {SELECTION_RULE}")
    folder = store_chosen(store_root, version_dir.name, keywords, model_config, train_config, candidates, chosen)
    return folder, candidates, chosen


def store_chosen(
    store_root: Path,
    dataset_version: str,
    keywords: list[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    candidates: list[Candidate],
    chosen: Candidate,
) -> Path:
    """Copy the chosen candidate's model into the folder of ``train_config`` (restarts > 1) and
    record the choice in its lineage: ``train`` is the restarts config, ``restarts`` the rule,
    every candidate and the kept one. meta.json loses the candidate's evaluated threshold."""
    source = store_root / "models" / chosen.model
    folder = store_root / "models" / model_id(dataset_version, model_config, train_config, keywords)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("model.tflite", "kwsc_model.c", "kwsc_model.h"):
        shutil.copyfile(source / name, folder / name)
    meta = json.loads((source / "meta.json").read_text())
    for key in ("threshold", "detector"):
        meta.pop(key, None)
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    record = json.loads((source / "lineage.json").read_text())
    record["train"] = dataclasses.asdict(train_config)
    # code_version here is the choice's; the record's own is that of the training that made the weights.
    record["restarts"] = {"rule": SELECTION_RULE, "chosen": {"seed": chosen.seed, "model": chosen.model},
                          "candidates": [_recorded(c) for c in candidates],
                          "code_version": lineage.code_version()}  # fmt: skip
    # Written last: a folder with lineage.json is complete (see kwsc.train.is_complete).
    (folder / "lineage.json").write_text(json.dumps(record, indent=2, sort_keys=True))
    return folder


def _recorded(candidate: Candidate) -> dict[str, Any]:
    """A candidate as lineage records it (whether this run trained it is not part of it)."""
    return {k: v for k, v in dataclasses.asdict(candidate).items() if k != "reused"}
