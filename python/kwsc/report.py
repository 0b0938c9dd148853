"""The model report (``report.md`` in the model folder): what a model is, what it costs on the
device and how it performs on streaming audio, with the lineage that produced it.

It reads what earlier stages wrote (the dataset version's lineage, the model's meta.json,
lineage.json, eval.json and det.json) and takes the firmware footprint measured for the model
(:func:`kwsc.footprint.measure`), so it states numbers, it does not recompute them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kwsc import footprint as fp
from kwsc.evaluate import FA_LOOKBACK_S

#: How the report names each architecture.
ARCH_NAMES = {"dscnn": "DS-CNN", "cnn": "CNN", "tcn": "TCN"}
#: FA/h operating points the report reads off the test DET curve.
OPERATING_POINTS = (0.5, 1.0, 5.0, 10.0)
#: The record a real-speaker benchmark (bench/report_fsdd.py) leaves in a model folder; the report
#: shows it when present.
REAL_SPEAKERS_FILE = "real_speakers.json"
#: Issue 9's target: the real-speaker FRR within this factor of the cross-voice FRR.
REAL_TO_CROSSVOICE_TARGET = 2.0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _ci(interval: list[float] | None, scale: float = 1.0, digits: int = 2) -> str:
    if not interval:
        return ""
    return f" [{interval[0] * scale:.{digits}f}, {interval[1] * scale:.{digits}f}]"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f} ms"


def confusion_matrix(version_dir: Path, tflite: bytes, labels: list[str]) -> tuple[np.ndarray, int]:
    """Window-level confusion matrix (rows: true label, columns: predicted) of the kwsc runtime
    (the device's int8 outputs) on the test split, and the number of windows."""
    from kwsc.features import load_windows
    from kwsc.runtime import Runtime

    windows, names = load_windows(version_dir, "test")
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index.get(str(n), -1) for n in names])
    keep = truth >= 0
    predicted = Runtime.from_tflite(tflite).run(windows[keep]).argmax(axis=1) if keep.any() else np.zeros(0, int)
    matrix = np.zeros((len(labels), len(labels)), np.int64)
    np.add.at(matrix, (truth[keep], predicted), 1)
    return matrix, int(keep.sum())


def operating_points(det: list[dict[str, Any]], targets: tuple[float, ...] = OPERATING_POINTS) -> list[dict[str, Any]]:
    """For each FA/h target, the lowest threshold whose FA/h is within it, read off a DET curve."""
    rows = []
    for target in targets:
        point = next((p for p in det if p["fa_per_hour"] is not None and p["fa_per_hour"] <= target), det[-1])
        rows.append({"target_fa_per_hour": target, **point})
    return rows


def headline_table(report: dict[str, Any]) -> list[str]:
    """Markdown rows: FA/h, FRR and latency with intervals for test, cross-voice (if any) and
    validation, at the chosen threshold."""
    names = [n for n in ("test", "crossvoice", "validation") if n in report]
    titles = {"test": "test", "crossvoice": "cross-voice (held-out voices)", "validation": "validation"}
    rows = [
        "| metric | " + " | ".join(titles[n] for n in names) + " |",
        "|---|" + "---|" * len(names),
        f"| threshold (chosen on validation for {report['config']['target_fa_per_hour']} FA/h) | "
        + " | ".join(f"{report['threshold']:.4f}" for _ in names)
        + " |",
    ]
    cells = {"fa": [], "frr": [], "latency": []}
    for name in names:
        r = report[name]
        cells["fa"].append(f"{r['fa_per_hour']:.2f}{_ci(r['fa_per_hour_ci'])} ({r['false_accepts']} in "
                           f"{r['negative_hours']:.2f} h)")  # fmt: skip
        cells["frr"].append(f"{_pct(r['frr'])}{_ci(r['frr_ci'], 100, 1)} ({r['misses']} of {r['trials']})")
        cells["latency"].append(f"{_ms(r['latency_median_s'])} / {_ms(r['latency_p95_s'])}")
    target = _ms(report["test"]["latency_target_s"])
    rows.append("| false accepts per hour (95 % CI) | " + " | ".join(cells["fa"]) + " |")
    rows.append("| false reject rate (95 % CI) | " + " | ".join(cells["frr"]) + " |")
    rows.append(f"| detection latency, median / p95 (target p95 {target}) | " + " | ".join(cells["latency"]) + " |")
    for gain in report["test"].get("frr_by_gain_db", {}):  # evaluations before the level sweep have none
        frr = [_pct(report[n]["frr_by_gain_db"][gain]) if "frr_by_gain_db" in report[n] else "n/a" for n in names]
        rows.append(f"| false reject rate, every trial {gain} dB (a quieter talker) | " + " | ".join(frr) + " |")
    return rows


def misses_by_voice(report: dict[str, Any], shown: int = 12) -> list[str]:
    """Markdown rows: per split, the voice groups with the most misses at the chosen threshold
    (misses/trials, worst first, at most ``shown``) and how many groups were never missed."""
    rows = []
    for name in ("test", "crossvoice"):
        groups = report.get(name, {}).get("misses_by_group")
        if not groups:
            continue
        ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0] / kv[1][1], -kv[1][1], kv[0]))
        worst = ", ".join(f"`{g}` {m}/{n}" for g, (m, n) in ranked[:shown] if m)
        clean = sum(1 for m, _ in groups.values() if m == 0)
        rows.append(f"| {name} | {len(groups)} | {clean} | {worst or 'none'} |")
    if not rows:
        return []
    return ["| split | voices | never missed | most missed (misses/trials) |", "|---|---:|---:|---|", *rows]


def false_accepts_by_text(report: dict[str, Any], shown: int = 10) -> list[str]:
    """Markdown rows: per split, what the negative stream was saying when the detector fired at
    the chosen threshold (clip text: count, most first, at most ``shown``)."""
    rows = []
    for name in ("validation", "test", "crossvoice"):
        r = report.get(name, {})
        if "false_accepts_by_text" not in r:
            continue
        ranked = sorted(r["false_accepts_by_text"].items(), key=lambda kv: (-kv[1], kv[0]))  # eval.json sorts keys
        heard = ", ".join(f"{text!r} {n}" for text, n in ranked[:shown])
        rows.append(f"| {name} | {r['false_accepts']} | {heard or 'none'} |")
    if not rows:
        return []
    return ["| split | false accepts | heard on (clip text: count) |", "|---|---:|---|", *rows]


def real_speakers_stale(record: dict[str, Any], evaluation: dict[str, Any]) -> list[str]:
    """What a real-speaker record was measured with that the current evaluation (eval.json) no
    longer has: "threshold" and/or "evaluation streams" (empty: the record is current)."""
    return [
        what
        for what, recorded, current in (
            ("threshold", record.get("threshold"), evaluation.get("threshold")),
            ("evaluation streams", record.get("dataset_version"), evaluation.get("dataset_version")),
        )
        if recorded != current
    ]


def real_speakers_lines(record: dict[str, Any], evaluation: dict[str, Any]) -> list[str]:
    """Markdown lines of the "Real speakers" section from a real-speaker benchmark record (the
    JSON bench/report_fsdd.py writes): per keyword, the FRR on the recordings at the chosen
    threshold next to the synthetic test and cross-voice FRR, the ratio to the cross-voice FRR
    (target: within :data:`REAL_TO_CROSSVOICE_TARGET`), per speaker, and at the thresholds the
    validation stream picks for other FA/h. A record made at another threshold or on other
    streams than ``evaluation`` (eval.json) is reported as stale instead: its numbers belong to
    a threshold the model no longer has."""
    name = record.get("benchmark", "The benchmark")
    lines = ["## Real speakers", ""]
    stale = real_speakers_stale(record, evaluation)
    if stale:
        return [*lines, f"A real-speaker record ({name}) is in the model folder, but it was measured with another "
                f"{' and '.join(stale)} than the current evaluation's (recorded: threshold {record.get('threshold')}, "
                f"streams `{record.get('dataset_version')}`): run the benchmark again."]  # fmt: skip
    cross = record.get("crossvoice")
    lines += [
        f"{name}: recordings of real people, never trained or tuned on, placed in context like the test "
        "keywords and streamed through the same detector at the chosen threshold "
        f"({record['threshold']:.4f}; data sha256 `{record.get('recordings_sha256', 'n/a')[:16]}`).",
        "",
        "| keyword | real-speaker FRR (95 % CI) | synthetic test FRR | cross-voice FRR | real / cross-voice |",
        "|---|---|---:|---:|---:|",
    ]
    for word, entry in record["per_keyword"].items():
        ratio = "n/a"
        if cross and cross["frr"]:
            factor = entry["frr"] / cross["frr"]
            verdict = "within" if factor <= REAL_TO_CROSSVOICE_TARGET else "beyond"
            ratio = f"{factor:.2f}x ({verdict} {REAL_TO_CROSSVOICE_TARGET:g}x)"
        lines.append(f"| {word} | {_pct(entry['frr'])}{_ci(entry['frr_ci'], 100, 1)} ({entry['misses']} of "
                     f"{entry['trials']}) | {_pct(record['synthetic_test']['frr'])} | "
                     f"{_pct(cross['frr']) if cross else 'n/a'} | {ratio} |")  # fmt: skip
    speakers = record.get("speakers", {})
    for word, entry in record["per_keyword"].items():
        lines += ["", f"Per speaker ({word}):", "", "| speaker | accent | FRR (95 % CI) |", "|---|---|---|"]
        for speaker, sub in entry["per_speaker"].items():
            accent = speakers.get(speaker, {}).get("accent", "")
            lines.append(f"| {speaker} | {accent} | {_pct(sub['frr'])}{_ci(sub['frr_ci'], 100, 1)} "
                         f"({sub['misses']} of {sub['trials']}) |")  # fmt: skip
        points = entry.get("operating_points", [])
        if points:
            lines += ["", f"At the thresholds the validation stream picks for other FA/h ({word}):", "",
                      "| validation FA/h | threshold | synthetic test FA/h | real-speaker FRR |",
                      "|---:|---:|---:|---|"]  # fmt: skip
            for point in points:
                lines.append(f"| {point['validation_fa_per_hour']:g} | {point['threshold']:.4f} | "
                             f"{point['synthetic_test_fa_per_hour']:.2f} | {_pct(point['frr'])}"
                             f"{_ci(point['frr_ci'], 100, 1)} |")  # fmt: skip
    return lines


def model_report(folder: Path, components: dict[str, fp.ComponentFootprint], checks: list[fp.BudgetCheck]) -> str:
    """The Markdown report of the model in ``folder`` (a store's models/<id>/), given its measured
    firmware footprint. Needs eval.json and det.json (``kwsc eval``)."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    lineage = json.loads((folder / "lineage.json").read_text())
    report = json.loads((folder / "eval.json").read_text())
    det = json.loads((folder / "det.json").read_text())
    version = lineage["dataset_version"]
    version_dir = folder.parents[1] / "datasets" / version
    dataset = json.loads((version_dir / "lineage.json").read_text())
    model, train = lineage["model"], lineage["train"]
    real_path = folder / REAL_SPEAKERS_FILE
    real = json.loads(real_path.read_text()) if real_path.is_file() else None
    keywords = ", ".join(meta["keywords"])
    lines = [
        f"# kwsc model {folder.name}: {keywords}",
        "",
        f"{ARCH_NAMES.get(model['arch'], model['arch'])} ({model['filters']} filters, {model['blocks']} blocks) "
        "trained on dataset version "
        f"`{version}`; full INT8, run on the device by kwsc's C runtime (bit-exact with TFLite Micro)."
        + (
            f" Evaluated on the streams of dataset version `{report['dataset_version']}` (`kwsc eval --dataset`)."
            if report.get("dataset_version", version) != version
            else ""
        ),
        "",
        "## Headline (streaming, at the chosen threshold)",
        "",
        *headline_table(report),
        "",
        "The test split holds voices the model never heard, but from the same TTS engines and voice families as "
        "training: in-distribution numbers. "
        + (
            "The cross-voice split holds whole engines or voice families kept out of training and validation "
            f"({', '.join(dataset.get('split', {}).get('holdout', []))}): the honest estimate for voices "
            "of a kind the model never heard. "
            if "crossvoice" in report
            else "No voices were held out (`[split] holdout`), so there is no cross-voice estimate. "
        )
        + (
            "Real speakers: see the section below."
            if real is not None
            else "Real speakers are harder still (a real-speaker benchmark such as bench/report_fsdd.py "
            "adds its section here)."
        ),
        "",
        f"Rule: {report['rule']}. Detector: inference every {report['detector']['stride_frames']} frames, "
        f"moving average over {report['detector']['smooth_inferences']} inferences, refractory "
        f"{report['detector']['refractory_s']} s. Positives are test keyword clips with "
        f"{report['config']['lead_s']} s of background before and {report['config']['tail_s']} s after at "
        f"{report['config']['positive_snr_db']} dB SNR; negatives are the split's non-keyword clips joined into one "
        "stream.",
        "",
        "## DET curve",
        "",
        "![DET curve](det.png)",
        "",
        "Test-split operating points (lowest threshold within each FA/h; 95 % intervals):",
        "",
        "| FA/h target | threshold | FA/h | FRR |",
        "|---:|---:|---|---|",
    ]
    for point in operating_points(det["test"]):
        fa, frr = f"{point['fa_per_hour']:.2f}{_ci(point['fa_per_hour_ci'])}", _pct(point["frr"])
        lines.append(f"| {point['target_fa_per_hour']:g} | {point['threshold']:.4f} | {fa} | "
                     f"{frr}{_ci(point['frr_ci'], 100, 1)} |")  # fmt: skip
    by_voice = misses_by_voice(report)
    if by_voice:
        lines += ["", "Where the misses come from, by speaker/voice group at the chosen threshold:", "", *by_voice]
    heard_on = false_accepts_by_text(report)
    if heard_on:
        lines += ["", "What the negative stream was saying when the detector fired (chosen threshold; a false "
                  f"accept goes to the clip playing {FA_LOOKBACK_S:g} s before it):", "", *heard_on]  # fmt: skip
    if real is not None:
        lines += ["", *real_speakers_lines(real, report)]
    counts = dataset["counts"]
    lines += [
        "",
        "## Dataset",
        "",
        f"Version `{version}`: {counts['inputs']:,} inputs = {counts['accepted']:,} accepted + {counts['rejected']:,} "
        f"rejected + {counts['duplicate']:,} duplicates (every reject and duplicate in the manifest with its reason); "
        f"{counts['augmented']:,} augmented variants; {dataset['features']['windows']:,} int8 feature windows. "
        f"Its report: `{version_dir / 'report.md'}`.",
        "",
        "## Model",
        "",
        f"- INT8 flatbuffer {lineage['model_bytes']:,} B (budget {train['max_model_bytes']:,} B); arena "
        f"{meta.get('arena_bytes', 0):,} B; {meta.get('macs_per_inference', 0):,} MACs per inference.",
        f"- Window accuracy on the test split: float {lineage['float_test_accuracy']:.3f}, INT8 "
        f"{lineage['int8_test_accuracy']:.3f}; kwsc runtime vs TFLite Micro: "
        f"{lineage.get('runtime_mismatches', 'n/a')} of {lineage.get('runtime_checked_windows', 'n/a'):,} test "
        "windows differ.",
        f"- Epoch {lineage['epoch']} of {train['epochs']} kept (validation FA/h estimate under a recall floor); seed "
        f"{lineage['restarts']['chosen']['seed'] if 'restarts' in lineage else train['seed']}.",
        *_restart_lines(lineage),
        "",
        "## On the device (Cortex-M4, QEMU)",
        "",
        fp.format_table(components, checks),
        "",
    ]
    path = components.get("detector")
    check = report.get("device_check")
    if path is not None and path.instructions_per_second:
        mhz = path.instructions_per_second / 1e6
        lines.append(f"The whole keyword path (frontend + model + detector) executes {mhz:,.1f} M instructions per "
                     f"second of audio: {mhz:,.0f} MHz at one instruction per cycle. QEMU counts instructions, "
                     "not cycles; loads take two cycles on a Cortex-M4, so a real clock must be higher.")  # fmt: skip
    if report.get("device_check_skipped"):
        lines += ["", f"Device check skipped: {report['device_check_skipped']}."]
    if check is not None:
        verdict = "identical to the host's" if check["identical"] else "DIFFERENT from the host's"
        lines += ["", f"Device check: {check['seconds']:.0f} s of test audio ({check['inferences']} inferences, "
                      f"{check['detections']} detections) streamed through the detector on the Cortex-M4 under "
                      f"QEMU: records {verdict}."]  # fmt: skip
    labels = list(meta["labels"])
    tflite = (folder / "model.tflite").read_bytes()
    matrix, windows = confusion_matrix(version_dir, tflite, labels)
    accuracy = np.trace(matrix) / windows if windows else float("nan")
    lines += ["", "## Clip level (secondary)", "",
              f"Window accuracy on {windows:,} test windows, kwsc runtime: {accuracy:.3f}. Confusion matrix "
              "(rows: true, columns: predicted):", "",
              "| true \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]  # fmt: skip
    for label, row in zip(labels, matrix, strict=True):
        lines.append(f"| {label} | " + " | ".join(f"{v:,}" for v in row) + " |")
    lines += [
        "",
        "## Lineage",
        "",
        f"- dataset version `{version}` (its lineage.json lists every input hash and the config)",
        f"- model `{folder.name}`: sha256 {lineage['model_sha256']}",
        f"- code {lineage['code_version']}, kwsc {lineage['kwsc_version']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(lineage["packages"].items())),
        f"- frontend hash {meta['frontend']['hash']}",
        "",
    ]
    return "\n".join(lines)


#: Page style of report.html: readable widths, ruled tables, numbers right-aligned by the Markdown.
HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.2em .6em}"
    "th{background:#f3f3f3}code,pre{background:#f6f6f6}pre{padding:.6em;overflow-x:auto}img{max-width:100%}"
)


def to_html(markdown_text: str, title: str) -> str:
    """A standalone HTML page of a Markdown report (CommonMark with tables; images stay relative
    links, so the page sits next to its PNGs)."""
    import html

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown_text)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{HTML_STYLE}</style></head><body>\n{body}</body></html>\n")  # fmt: skip


def _restart_lines(lineage: dict[str, Any]) -> list[str]:
    """The training restarts the model was chosen from, if any (lineage ``restarts``)."""
    record = lineage.get("restarts")
    if not record:
        return []
    chosen = record["chosen"]["seed"]
    runs = "; ".join(
        f"{'**' if c['seed'] == chosen else ''}seed {c['seed']}: {c['validation_frr']:.1%} at "
        f"{c['validation_fa_per_hour']:.2f} FA/h{'**' if c['seed'] == chosen else ''}"
        for c in record["candidates"]
    )
    return [f"- Chosen among {len(record['candidates'])} training restarts by validation FRR at each one's "
            f"threshold for the target FA/h (test and held-out audio unseen): {runs}."]  # fmt: skip


def write_report(
    folder: str | Path, components: dict[str, fp.ComponentFootprint], checks: list[fp.BudgetCheck]
) -> Path:
    """Write ``report.md`` and the same as ``report.html`` into the model folder; returns the
    Markdown's path."""
    folder = Path(folder)
    path = folder / "report.md"
    text = model_report(folder, components, checks)
    path.write_text(text)
    (folder / "report.html").write_text(to_html(text, f"kwsc model {folder.name}"))
    return path
