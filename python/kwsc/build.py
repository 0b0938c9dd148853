"""The dataset compiler: a project config in, an immutable dataset version out.

    collect items (sources/) -> ingest + validate (ingest.py, cached per item) -> dedup (exact,
    near) -> group-hash splits (split.py) -> leakage audit -> augment (augment.py, cached per
    variant) -> feature windows (features.py, cached per clip) -> manifest + lineage + report +
    feature shards (store.py)

The version id is a hash of the config and of every input's content key, so the same inputs
and config give the same id, and an existing version is returned without recomputation. Every
per-item stage is cached by content, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

import kwsc
from kwsc import augment as augment_stage
from kwsc import dedup as dedup_stage
from kwsc import features as feature_stage
from kwsc import lineage, numerics, quality, split
from kwsc import validate as validate_stage
from kwsc.config import ProjectConfig
from kwsc.executor import Executor
from kwsc.frontend import Frontend
from kwsc.ingest import INGEST_VERSION, IngestParams, IngestResult, ingest_call, load_pcm
from kwsc.sources import NEGATIVE, NOISE, SourceContext, SourceItem, canonical_json
from kwsc.store import Store


class BuildError(RuntimeError):
    """The build cannot produce a valid dataset (e.g. the leakage audit failed)."""


@dataclass(frozen=True)
class BuildResult:
    """Where the version is, whether it already existed, and its counts per status."""

    version_id: str
    path: Path
    reused: bool
    counts: dict[str, int]
    cache_hits: int = 0  # items whose ingest result came from the cache


def collect_items(config: ProjectConfig) -> list[SourceItem]:
    """Every input of the project, from each [sources.*] section, in a deterministic order.

    TTS sections come first: their negative-speech recipes are the talkers of babble noise, each
    babble clip drawing only from the talkers of its own split (a voice of the test split is
    never heard under training audio). A section's ``splits`` (e.g. ``["validation", "test"]``)
    keeps only its inputs whose group falls in those splits: more evaluation audio without
    changing the training split. Such sections lend no talkers to babble, so adding one changes
    no other input.
    """
    context = SourceContext(config.phrases, config.labels, config.project_dir, config.seed)
    sections = sorted(config.sources.items(), key=lambda kv: (kv[1].get("type") != "tts", kv[0]))
    items: list[SourceItem] = []
    talkers: dict[str, list[dict[str, Any]]] = {}  # negative TTS recipes by split
    for name, section in sections:
        section = dict(section)
        only = _section_splits(name, section.pop("splits", None), config)
        made = _source_items(name, section, config, context, talkers)
        if only is None:
            for i in made:
                if i.kind == "tts" and i.label == NEGATIVE:
                    talkers.setdefault(item_split(i, config), []).append(i.recipe)
        else:
            made = [i for i in made if item_split(i, config) in only]
        items.extend(made)
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise BuildError(f"two inputs share the id {item.id!r}; give the sources distinct names")
        seen.add(item.id)
    return sorted(items, key=lambda item: item.id)


def _section_splits(name: str, value: Any, config: ProjectConfig) -> frozenset[str] | None:
    """A section's ``splits`` key checked against the project's split names (None: every split)."""
    if value is None:
        return None
    names = [n for n, _ in config.split.fractions] + ([split.HOLDOUT_SPLIT] if config.split.holdout else [])
    if isinstance(value, str) or not isinstance(value, list) or not value or not all(v in names for v in value):
        raise BuildError(f"[sources.{name}]: splits must be a non-empty list of split names ({', '.join(names)})")
    return frozenset(value)


def item_split(item: SourceItem, config: ProjectConfig) -> str:
    """The split an input lands in: its corpus's official split if pinned, else its group's."""
    return item.meta.get("split") or split.split_of(item.group, config.split)


def _source_items(
    name: str, section: dict[str, Any], config: ProjectConfig, context: SourceContext, talkers: dict[str, list[dict]]
) -> list[SourceItem]:
    kind = section.pop("type")
    section.pop("downmix", None)  # an ingest option, read in ingest_params
    if kind == "tts":
        from kwsc.sources import negatives, tts

        # "texts": what this section says: "keyword" (the phrases), "negatives" ([negatives]) or "all".
        which = section.pop("texts", "all")
        if which not in ("all", "keyword", "negatives"):
            raise BuildError(f"[sources.{name}]: texts must be all, keyword or negatives, got {which!r}")
        texts = list(zip(config.phrases, config.labels, strict=True)) if which != "negatives" else []
        if which != "keyword" and config.negatives:
            texts += negatives.items(dict(config.negatives), context)
        return tts.items(texts, {**section, "name": name}, context)
    if kind == "corpus":
        from kwsc.sources import corpora

        return corpora.items({**section, "name": name}, context)
    if kind == "noise":
        from kwsc.sources import noise

        return noise.items(
            {**section, "name": name}, context, speech=talkers or None,
            split_of=lambda group: split.split_of(group, config.split),
        )  # fmt: skip
    if kind == "enroll":
        from kwsc.sources import enroll

        return enroll.items({**section, "name": name}, context)
    raise BuildError(f"[sources.{name}]: unknown type {kind!r} (tts, corpus, noise, enroll)")


def ingest_params(config: ProjectConfig, item: SourceItem) -> IngestParams:
    """Ingest parameters of an item: the frontend's rate; downmix if its source allows it."""
    section = config.sources.get(item.source, {})
    return IngestParams(config.frontend.sample_rate_hz, bool(section.get("downmix", False)))


#: Project sections that shape the model, not the dataset: they do not change the version id.
MODEL_SECTIONS = ("model", "train", "detect", "eval")


def dataset_sections(config: ProjectConfig) -> dict[str, Any]:
    """The config file as parsed, without the sections that shape only the model."""
    return {k: v for k, v in config.raw.items() if k not in MODEL_SECTIONS}


def effective_config(config: ProjectConfig) -> dict[str, Any]:
    """The config as the build applies it: the file's text (but the model's sections) and every
    resolved default (validator thresholds per kind, frontend, splits, dedup, features,
    augmentation), so a changed default changes the version."""
    return {
        "file": dataset_sections(config),
        "validate": {kind: config.validate_config(kind).to_dict() for kind in ("tts", "real", "noise", "enroll")},
        "frontend": config.frontend.to_dict(),
        "split": asdict(config.split),
        "dedup": asdict(config.dedup),
        "features": config.features.identity_dict(),
        "augment": config.augment.identity_dict() if config.augment else None,
    }


def stage_versions() -> dict[str, int]:
    """Code versions of the stages that decide a dataset's content (augmentation's is part of its
    config identity): in the version id and the lineage alike."""
    return {
        "ingest_version": INGEST_VERSION,
        "dedup_version": dedup_stage.DEDUP_VERSION,
        "features_version": feature_stage.FEATURES_VERSION,
    }


def version_id(config: ProjectConfig, items: list[SourceItem]) -> str:
    """Hash of the effective config and the inputs' content keys, of the stages' code versions
    (ingest, dedup, features; augmentation's is in its config identity) and, once they differ
    from their baselines in :mod:`kwsc.numerics`, of the C frontend's and validator's numerics."""
    payload = {
        "config": effective_config(config),
        "inputs": [(item.id, item.input_key()) for item in items],
        **stage_versions(),
    }
    payload.update(numerics.changed_numerics())  # C outputs changed since ids began: so do the ids
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]


def build(
    config: ProjectConfig,
    store: Store | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> BuildResult:
    """Compile the project into a dataset version (or return the existing identical one).

    ``executor`` chooses where per-item work runs (default: a local process pool of ``workers``);
    the result does not depend on it.
    """
    store = store or Store()
    say = log or (lambda _message: None)
    items = collect_items(config)
    vid = version_id(config, items)
    if store.has(vid):
        rows = store.manifest(vid)
        say(f"dataset {vid} already built: reused")
        return BuildResult(vid, store.resolve(vid), True, _status_counts(rows))
    say(f"{len(items)} inputs from {len(config.sources)} source(s)")
    with executor or Executor("local", workers) as runner:
        return _compile(config, store, items, vid, runner, progress, say)


def _compile(
    config: ProjectConfig,
    store: Store,
    items: list[SourceItem],
    vid: str,
    runner: Executor,
    progress: bool | None,
    say: Callable[[str], None],
) -> BuildResult:
    results = _ingest(items, config, store, runner, progress)
    by_id = {result.id: result for result in results}

    accepted = [item for item in items if by_id[item.id].status == "accepted"]
    # A copy inside a section restricted to some splits yields to any other: it must not move a clip out of training.
    restricted = {name for name, section in config.sources.items() if "splits" in section}
    rank = {i.id: int(i.source in restricted) for i in accepted}
    duplicates = dedup_stage.exact_duplicates(
        [i.id for i in accepted], [by_id[i.id].sha256 for i in accepted], [rank[i.id] for i in accepted]
    )
    exact_ids = {d.id for d in duplicates}
    remaining = [item for item in accepted if item.id not in exact_ids]
    if config.dedup.near and len(remaining) > 1:
        say(f"near-duplicate check over {len(remaining)} clips")
        prints = np.array(
            runner.map(
                dedup_stage.fingerprint_item, [_fingerprint_job(store, config, by_id[i.id]) for i in remaining],
                "fingerprints", progress,
            )
        )  # fmt: skip
        load = _cached_loader(store, [by_id[i.id].sha256 or "" for i in remaining])
        speech_ms = np.array([_speech_ms(by_id[i.id]) for i in remaining])
        duplicates += dedup_stage.near_duplicates(
            [i.id for i in remaining], load, prints, speech_ms, config.dedup, progress, [rank[i.id] for i in remaining]
        )
    dup_of = {d.id: d for d in duplicates}

    rows = [_row(item, by_id[item.id], dup_of.get(item.id), config) for item in items]
    cross = _cross_split_duplicates(rows)
    leaks = split.groups_in_several_splits([r for r in rows if r["status"] == "accepted"])
    leaks += _duplicate_leaks(rows, store, config)
    leaks += _babble_leaks(items, rows)
    report = quality.report_markdown(vid, config.name, rows, cross, leaks, lineage.code_version())
    if leaks:
        raise BuildError("leakage audit failed:\n" + "\n".join(f"- {f.kind}: {f.detail}" for f in leaks[:20])
                         + f"\n\n{report}")  # fmt: skip
    variants = _augment(config, store, rows, runner, progress, say)
    normalization, windows, shards = _features(config, store, rows + variants, runner, progress, say)
    window_counts = Counter(window["clip_id"] for window in windows)
    for row in rows + variants:
        row["windows"] = window_counts.get(row["id"], 0)
    lineage_doc = _lineage(vid, config, items, results, rows)
    lineage_doc["counts"]["augmented"] = len(variants)
    lineage_doc["features"] = {"config": feature_stage.config_dict(config.features), "windows": len(windows),
                               "shards": len(shards), "normalization": normalization.to_dict()}  # fmt: skip
    lineage_doc["augment"] = None if config.augment is None else {
        "config": config.augment.to_dict(), "hash": config.augment.content_hash(),
        "version": augment_stage.AUGMENT_VERSION, "variants": len(variants)}  # fmt: skip
    report += quality.report_augmentation(rows, variants) if config.augment else ""
    report += quality.report_features(windows, normalization.to_dict())
    files = {
        "manifest.parquet": _parquet(rows + variants),
        "lineage.json": json.dumps(lineage_doc, indent=2, sort_keys=True).encode(),
        "report.md": report.encode(),
    }
    for index, shard in enumerate(shards):
        files[f"features/part-{index:05d}.parquet"] = shard
    by_split: dict[str, list[bytes]] = {}
    for window in windows:
        by_split.setdefault(window["split"], []).append(window["features"])
    shape = (windows[0]["frames"], windows[0]["coeffs"]) if windows else (0, 0)
    arrays = {k: np.frombuffer(b"".join(v), np.int8).reshape(-1, *shape) for k, v in by_split.items()}
    files["snr_duration.png"] = quality.plot_snr_duration(rows)
    files["features.png"] = quality.plot_feature_distributions(arrays)
    path = store.write_version(vid, files)
    hits = sum(result.from_cache for result in results)
    counts = _status_counts(rows + variants)
    say(f"dataset {vid}: {counts}; {hits} of {len(results)} items from the cache")
    return BuildResult(vid, path, False, counts, hits)


#: Items per unit of ingest work: batch loaders (festival) amortise a process over a batch.
INGEST_BATCH = 32


def speech_span_s(row: dict) -> tuple[float, float]:
    """The validator's speech span of a manifest row in seconds (the whole clip if it found none:
    a missing, NaN or empty span)."""
    return validate_stage.speech_span_s(row.get("v_speech_start_ms"), row.get("v_speech_end_ms"), row["duration_s"])


def _augment(
    config: ProjectConfig,
    store: Store,
    rows: list[dict],
    runner: Executor,
    progress: bool | None,
    say: Callable[[str], None],
) -> list[dict]:
    """Variants of the accepted clips ([augment]): manifest rows with status "augmented", each in
    its source's split and group, its recipe in ``augment`` and its source in ``source_id``.

    Background noise comes from the accepted noise clips of the same split, so no audio of a
    held-out split reaches training (and the reverse)."""
    if config.augment is None:
        return []
    accepted = [r for r in rows if r["status"] == "accepted"]
    pools: dict[str, list[str]] = {}
    for row in accepted:
        if row["kind"] == "noise":
            pools.setdefault(row["split"], []).append(row["sha256"])
    sources, jobs = [], []
    for row in accepted:
        recipes = augment_stage.plan(row["sha256"], row["kind"], row["label"], config.augment,
                                     pools.get(row["split"], []))  # fmt: skip
        if recipes:
            sources.append(row)
            jobs.append(augment_stage.AugmentJob(str(store.root), row["sha256"], speech_span_s(row), tuple(recipes),
                                                 config.frontend.sample_rate_hz))  # fmt: skip
    count = sum(len(job.recipes) for job in jobs)
    if not count:
        return []
    say(f"augment: {count} variants of {len(jobs)} clips")
    done = runner.map(augment_stage.augment_clip, jobs, f"augment ({count} variants)", progress)
    variants = []
    for row, job, produced in zip(sources, jobs, done, strict=True):
        for recipe, (sha, samples, _cached) in zip(job.recipes, produced, strict=True):
            start_s, end_s = augment_stage.variant_speech_span(recipe, job.speech_span_s)
            variant = {**row, **{k: float("nan") for k in row if k.startswith("v_")}}
            variant.update(id=f"{row['id']}~a{recipe['index']}", status="augmented", reason="", sha256=sha,
                           duration_s=samples / config.frontend.sample_rate_hz, source_id=row["id"],
                           augment=canonical_json(recipe), v_speech_start_ms=start_s * 1000,
                           v_speech_end_ms=end_s * 1000)  # fmt: skip
            variants.append(variant)
    return variants


def window_jobs(config: ProjectConfig, store: Store, rows: list[dict]) -> list[feature_stage.WindowJob]:
    """The feature stage's job of each accepted clip or variant in ``rows`` (manifest rows): its
    cached audio, where its windows go, and the background bed under them."""
    beds = feature_stage.context_beds(rows, config.features, NOISE, config.seed)
    return [
        feature_stage.WindowJob(
            r["id"], r["sha256"], r["label"] in config.labels, *speech_span_s(r),
            float(json.loads(r["augment"])["shift_s"]) if r["augment"] else 0.0, str(store.root), config.frontend,
            config.features, *beds.get(r["id"], (None, 0.0)),
        )
        for r in rows
    ]  # fmt: skip


def _features(
    config: ProjectConfig,
    store: Store,
    rows: list[dict],
    runner: Executor,
    progress: bool | None,
    say: Callable[[str], None],
) -> tuple[feature_stage.Normalization, list[dict], list[bytes]]:
    """Model windows of every accepted clip and variant through the C frontend; normalisation
    learned on the training split (variants included); int8 window rows and their Parquet shards."""
    accepted = [r for r in rows if r["status"] in ("accepted", "augmented")]
    jobs = window_jobs(config, store, accepted)
    say(f"features: {len(jobs)} clips through the C frontend")
    cepstra = runner.map(feature_stage.window_cepstra, jobs, "features", progress)
    train = [c for row, c in zip(accepted, cepstra, strict=True) if row["split"] == "train" and c.shape[0]]
    if not train:
        raise BuildError("no training windows: the normalisation is learned on the train split, which is empty")
    normalization = feature_stage.learn_normalization(train, config.features.drop_coeffs, config.features.relative_c0)
    frontend = Frontend(config.frontend)
    windows = []
    for row, ceps in zip(accepted, cepstra, strict=True):
        for k, window in enumerate(ceps):
            q = normalization.quantize(frontend, window)
            windows.append({"id": f"{row['id']}#w{k}", "clip_id": row["id"], "label": row["label"],
                            "split": row["split"], "group": row["group"], "features": q.tobytes(),
                            "frames": q.shape[0], "coeffs": q.shape[1]})  # fmt: skip
    windows.sort(key=lambda w: w["id"])
    return normalization, windows, feature_stage.shard_tables(windows, config.features.shard_rows)


def _ingest(
    items: list[SourceItem], config: ProjectConfig, store: Store, runner: Executor, progress: bool | None
) -> list[IngestResult]:
    """Ingest every item, in batches of items that share a recipe loader, engine and voice (so a
    batch loader can synthesize them in one process); results come back in item order."""
    order = sorted(range(len(items)), key=lambda k: (
        str(items[k].recipe.get("loader")), str(items[k].recipe.get("engine", "")),
        str(items[k].recipe.get("voice", "")), items[k].id))  # fmt: skip
    batches = [order[start : start + INGEST_BATCH] for start in range(0, len(order), INGEST_BATCH)]
    jobs = [
        ([items[k] for k in batch], str(store.root), [ingest_params(config, items[k]) for k in batch],
         [config.validate_config(items[k].kind) for k in batch], config.frontend)
        for batch in batches
    ]  # fmt: skip
    # One batch per task: batches differ in cost by 100x (espeak-ng vs neural voices, which sort
    # together), so fixed chunks of batches would leave one worker with all the slow ones.
    done = runner.map(ingest_call, jobs, f"ingest + validate ({len(items)} items, batches)", progress, chunk_size=1)
    results: list[IngestResult | None] = [None] * len(items)
    for batch, batch_results in zip(batches, done, strict=True):
        for k, result in zip(batch, batch_results, strict=True):
            results[k] = result
    return [r for r in results if r is not None]


def _fingerprint_job(store: Store, config: ProjectConfig, result: IngestResult) -> tuple:
    return (str(store.root), result.sha256, result.metrics.get("speech_start_ms", 0.0),
            result.metrics.get("speech_end_ms", 0.0), config.frontend)  # fmt: skip


def _speech_ms(result: IngestResult | dict) -> float:
    """Length of the validator's speech span in ms (0 without speech)."""
    metrics = result.metrics if isinstance(result, IngestResult) else result
    return float(metrics.get("speech_end_ms", 0.0)) - float(metrics.get("speech_start_ms", 0.0))


def _cached_loader(store: Store, hashes: list[str]) -> Callable[[int], np.ndarray]:
    @lru_cache(maxsize=2048)
    def load(index: int) -> np.ndarray:
        return load_pcm(store.root, hashes[index])

    return load


def _row(
    item: SourceItem, result: IngestResult, duplicate: dedup_stage.Duplicate | None, config: ProjectConfig
) -> dict:
    status = result.status
    reason = ";".join(result.reasons)
    if duplicate is not None:
        status, reason = "duplicate", f"duplicate:{duplicate.kind}"
    # A source may pin an item's split (a corpus's official split, when asked for); else the group's hash.
    group_split = item_split(item, config)
    row: dict[str, Any] = {
        "id": item.id,
        "source": item.source,
        "kind": item.kind,
        "origin": item.origin,
        "group": item.group,
        "label": item.label,
        "text": item.text or "",
        "split": group_split,
        "sha256": result.sha256 or "",
        "input_sha256": item.input_key(),
        "duration_s": float(result.duration_s),
        "status": status,
        "reason": reason,
        "error": result.error or "",
        "dup_of": duplicate.of if duplicate else "",
        "dup_distance": float(duplicate.distance) if duplicate else 0.0,
        "meta": canonical_json(item.meta),
        "source_id": "",  # variants: the clip they were made from
        "augment": "",  # variants: the recipe (JSON)
    }
    for name in ("speech_dbfs", "snr_db", "speech_start_ms", "speech_end_ms", "clipped_fraction", "high_band_db",
                 "tonality_db", "peak_dbfs", "background_dbfs"):  # fmt: skip
        row[f"v_{name}"] = float(result.metrics.get(name, np.nan))
    return row


def _cross_split_duplicates(rows: list[dict]) -> list[tuple[str, str, str, str]]:
    split_of = {r["id"]: r["split"] for r in rows}
    return [
        (r["id"], r["dup_of"], r["split"], split_of[r["dup_of"]])
        for r in rows
        if r["status"] == "duplicate" and split_of[r["dup_of"]] != r["split"]
    ]


def _duplicate_leaks(rows: list[dict], store: Store, config: ProjectConfig) -> list[split.LeakageFinding]:
    """Copies among the accepted clips that sit in different splits: exact by hash, near by the
    same test as dedup (fingerprint candidates confirmed by correlation), across splits only."""
    accepted = [r for r in rows if r["status"] == "accepted"]
    findings: list[split.LeakageFinding] = []
    by_hash: dict[str, list[dict]] = {}
    for row in accepted:
        by_hash.setdefault(row["sha256"], []).append(row)
    for members in by_hash.values():
        if len({m["split"] for m in members}) > 1:
            findings.append(split.LeakageFinding("exact", "identical audio in several splits",
                                                 tuple(m["id"] for m in members)))  # fmt: skip
    if config.dedup.near:
        return findings  # near copies were removed by dedup with the same test
    prints = np.array([
        dedup_stage.fingerprint_item((str(store.root), r["sha256"], r["v_speech_start_ms"], r["v_speech_end_ms"],
                                      config.frontend))
        for r in accepted
    ])  # fmt: skip
    load = _cached_loader(store, [r["sha256"] for r in accepted])
    speech = [r["v_speech_end_ms"] - r["v_speech_start_ms"] for r in accepted]
    for i, j in dedup_stage.candidate_pairs(prints, config.dedup.fingerprint_distance):
        if abs(speech[i] - speech[j]) > config.dedup.max_duration_difference_ms:
            continue
        if accepted[i]["split"] != accepted[j]["split"]:
            correlation = dedup_stage.peak_correlation(load(i), load(j))
            if correlation >= config.dedup.min_correlation:
                findings.append(split.LeakageFinding("near", f"correlation {correlation:.3f} across splits",
                                                     (accepted[i]["id"], accepted[j]["id"])))  # fmt: skip
    return findings


def _babble_leaks(items: list[SourceItem], rows: list[dict]) -> list[split.LeakageFinding]:
    """Accepted babble clips mixing a talker whose recipe is a TTS input of another split: that
    split's voice heard in this one's noise."""
    split_of = {r["id"]: r["split"] for r in rows}
    accepted = {r["id"] for r in rows if r["status"] == "accepted"}
    recipe_splits: dict[str, set[str]] = {}
    for item in items:
        if item.kind == "tts":
            recipe_splits.setdefault(canonical_json(item.recipe), set()).add(split_of[item.id])
    findings = []
    for item in items:
        if item.id not in accepted or item.recipe.get("loader") != "babble":
            continue
        others = set().union(*(recipe_splits.get(canonical_json(p), set()) for p in item.recipe["parts"]))
        others.discard(split_of[item.id])
        if others:
            findings.append(split.LeakageFinding(
                "babble", f"{item.id} ({split_of[item.id]}) mixes talkers of {', '.join(sorted(others))}", (item.id,)
            ))  # fmt: skip
    return findings


def _status_counts(rows: list[dict]) -> dict[str, int]:
    """Inputs per status (they add up to ``inputs``) and ``augmented``: variants made."""
    counts = {status: 0 for status in (*quality.STATUSES, "augmented")}
    for row in rows:
        counts[row["status"]] += 1
    counts["inputs"] = len(rows) - counts["augmented"]
    return counts


def _parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _lineage(
    vid: str, config: ProjectConfig, items: list[SourceItem], results: list[IngestResult], rows: list[dict]
) -> dict:
    return {
        "version_id": vid,
        "project": config.name,
        "config": dataset_sections(config),
        "inputs": [
            {"id": i.id, "input_key": i.input_key(), "sha256": r.sha256} for i, r in zip(items, results, strict=True)
        ],
        "frontend": {
            "config": config.frontend.to_dict(),
            "hash": config.frontend.content_hash(),
            "numerics": numerics.numerics_fingerprint(),
        },
        "validate": {kind: config.validate_config(kind).to_dict() for kind in ("tts", "real", "noise", "enroll")},
        "validator_numerics": numerics.validator_fingerprint(),
        "split": asdict(config.split),
        "dedup": asdict(config.dedup),
        **stage_versions(),
        "code_version": lineage.code_version(),
        "kwsc_version": kwsc.__version__,
        "packages": lineage.package_versions(),
        "tools": lineage.tool_versions(),
        "counts": _status_counts(rows),
        "labels": {"keyword": list(config.labels), "negative": NEGATIVE},
    }
