"""Dataset quality report: counts that add up, splits, rejects by reason, duplicates, leakage."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from kwsc.split import LeakageFinding

STATUSES = ("accepted", "rejected", "duplicate")


def counts_by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """source -> {"inputs", "accepted", "rejected", "duplicate"}; inputs always equals the sum."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("inputs", *STATUSES), 0))
    for row in rows:
        entry = table[row["source"]]
        entry["inputs"] += 1
        entry[row["status"]] += 1
    for source, entry in table.items():
        if entry["inputs"] != sum(entry[s] for s in STATUSES):
            raise AssertionError(f"counts of {source} do not add up: {entry}")
    return dict(sorted(table.items()))


def report_markdown(
    version_id: str,
    project_name: str,
    rows: list[dict[str, Any]],
    cross_split_duplicates: list[tuple[str, str, str, str]],
    leaks: list[LeakageFinding],
    code_version: str,
) -> str:
    """The report.md of a dataset version."""
    lines = [f"# Dataset {version_id}", "", f"Project `{project_name}`, built by kwsc {code_version}.", ""]
    counts = counts_by_source(rows)
    total = dict.fromkeys(("inputs", *STATUSES), 0)
    lines += ["## Counts", "", "| source | inputs | accepted | rejected | duplicate |", "|---|--:|--:|--:|--:|"]
    for source, entry in counts.items():
        lines.append(f"| {source} | {entry['inputs']} | {entry['accepted']} | {entry['rejected']} | "
                     f"{entry['duplicate']} |")  # fmt: skip
        for key in total:
            total[key] += entry[key]
    lines.append(f"| **total** | **{total['inputs']}** | **{total['accepted']}** | **{total['rejected']}** | "
                 f"**{total['duplicate']}** |")  # fmt: skip
    adds_up = total["inputs"] == total["accepted"] + total["rejected"] + total["duplicate"]
    lines += ["", f"inputs = accepted + rejected + duplicates, per source and in total: {'yes' if adds_up else 'NO'}",
              ""]  # fmt: skip

    per_split: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("inputs", *STATUSES), 0))
    for row in rows:
        per_split[row["split"]]["inputs"] += 1
        per_split[row["split"]][row["status"]] += 1
    lines += ["Every input has the split of its group (rejected and duplicate rows too):", "",
              "| split | inputs | accepted | rejected | duplicate |", "|---|--:|--:|--:|--:|"]  # fmt: skip
    split_adds_up = True
    for name, entry in sorted(per_split.items()):
        split_adds_up &= entry["inputs"] == sum(entry[s] for s in STATUSES)
        lines.append(
            f"| {name} | {entry['inputs']} | {entry['accepted']} | {entry['rejected']} | {entry['duplicate']} |"
        )
    lines += ["", f"inputs = accepted + rejected + duplicates in every split: {'yes' if split_adds_up else 'NO'}", ""]

    accepted = [r for r in rows if r["status"] == "accepted"]
    by_split: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in accepted:
        by_split[(row["split"], row["label"])].append(row)
    lines += ["## Splits (accepted clips)", "", "| split | label | clips | groups | hours |", "|---|---|--:|--:|--:|"]
    for (split, label), members in sorted(by_split.items()):
        hours = sum(r["duration_s"] for r in members) / 3600
        lines.append(f"| {split} | {label} | {len(members)} | {len({r['group'] for r in members})} | {hours:.3f} |")
    split_totals = Counter(r["split"] for r in accepted)
    lines += ["", "per split: " + ", ".join(f"{k} {v}" for k, v in sorted(split_totals.items())) +
              f" = {sum(split_totals.values())} accepted", ""]  # fmt: skip

    rejected = [r for r in rows if r["status"] == "rejected"]
    reasons: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rejected:
        for reason in row["reason"].split(";"):
            reasons[reason].append(row)
    lines += ["## Rejects by reason", ""]
    if reasons:
        lines += ["A clip can fail several checks; each is counted.", "", "| reason | clips | sources | e.g. |",
                  "|---|--:|---|---|"]  # fmt: skip
        for reason, members in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            sources = ", ".join(sorted({m["source"] for m in members}))
            lines.append(f"| {reason} | {len(members)} | {sources} | {members[0]['id']} |")
    else:
        lines.append("none")
    lines.append("")

    duplicates = [r for r in rows if r["status"] == "duplicate"]
    kinds = Counter(r["reason"] for r in duplicates)
    lines += ["## Duplicates", "", f"exact {kinds.get('duplicate:exact', 0)}, near {kinds.get('duplicate:near', 0)}"
              " (each kept once; the copies are in the manifest with `dup_of`)", ""]  # fmt: skip
    for row in duplicates[:20]:
        lines.append(f"- {row['id']} = {row['dup_of']} ({row['reason'].split(':')[1]}, "
                     f"1 - correlation {row['dup_distance']:.4f})")  # fmt: skip
    if len(duplicates) > 20:
        lines.append(f"- ... and {len(duplicates) - 20} more")
    if cross_split_duplicates:
        lines += ["", f"**Error: {len(cross_split_duplicates)} copies whose group would have put them in another "
                  "split than their kept original** (dropped as duplicates, so they do not leak; check the "
                  "group labels of these sources):", ""]  # fmt: skip
        for dup, original, split_dup, split_original in cross_split_duplicates[:20]:
            lines.append(f"- {dup} ({split_dup}) = {original} ({split_original})")
    lines.append("")

    lines += ["## Leakage audit", ""]
    for kind, check in (
        ("group", "no group in two splits"),
        ("exact", "no exact copy across splits"),
        ("near", "no near copy across splits"),
        ("babble", "no babble talker from another split"),
    ):
        lines.append(f"- {check}: " + ("yes" if not any(f.kind == kind for f in leaks) else "**NO**"))
    for finding in leaks[:50]:
        lines.append(f"  - {finding.kind}: {finding.detail} ({', '.join(finding.ids)})")
    lines += ["", f"Result: {'PASS' if not leaks else 'FAIL'}", ""]
    return "\n".join(lines)


def _png(figure: Any) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})  # no version stamp: stable bytes
    plt.close(figure)
    return buffer.getvalue()


def plot_snr_duration(rows: list[dict[str, Any]]) -> bytes:
    """PNG: histograms of the validator's SNR (dB) and of clip duration (s), accepted clips, per label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    accepted = [r for r in rows if r["status"] == "accepted"]
    labels = sorted({r["label"] for r in accepted})
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for label in labels:
        snr = np.array([r["v_snr_db"] for r in accepted if r["label"] == label], dtype=float)
        snr = snr[np.isfinite(snr) & (np.abs(snr) < 99)]
        duration = np.array([r["duration_s"] for r in accepted if r["label"] == label], dtype=float)
        if snr.size:
            axes[0].hist(snr, bins=40, range=(-10, 80), histtype="step", label=label)
        axes[1].hist(duration, bins=40, histtype="step", label=label)
    axes[0].set_xlabel("SNR (dB, validator)")
    axes[1].set_xlabel("duration (s)")
    for ax in axes:
        ax.set_ylabel("clips")
        ax.legend(fontsize=8)
    figure.tight_layout()
    return _png(figure)


def plot_feature_distributions(features: dict[str, Any]) -> bytes:
    """PNG: per-coefficient distribution (5/25/50/75/95th percentiles) of the int8 features, one
    line per split; ``features`` maps split -> int8 array (windows, frames, coeffs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, ax = plt.subplots(figsize=(10, 4))
    for offset, (split, data) in enumerate(sorted(features.items())):
        if data.size == 0:
            continue
        frames = data.reshape(-1, data.shape[-1]).astype(np.float64)
        q = np.percentile(frames, [5, 25, 50, 75, 95], axis=0)
        x = np.arange(frames.shape[1]) + (offset - 1) * 0.22
        ax.vlines(x, q[0], q[4], color=f"C{offset}", linewidth=1)
        ax.vlines(x, q[1], q[3], color=f"C{offset}", linewidth=5, label=split)
        ax.plot(x, q[2], "_", color="black")
    ax.set_xlabel("cepstral coefficient")
    ax.set_ylabel("int8 value (5-95 %, 25-75 %, median)")
    ax.legend()
    figure.tight_layout()
    return _png(figure)


def report_features(windows: list[dict[str, Any]], normalization: dict[str, Any]) -> str:
    """The report's feature section: windows per split and label, the learned normalisation, plots."""
    counts: dict[tuple[str, str], int] = Counter((w["split"], w["label"]) for w in windows)
    lines = ["## Features", "", "| split | label | windows |", "|---|---|--:|"]
    for (split, label), count in sorted(counts.items()):
        lines.append(f"| {split} | {label} | {count} |")
    mean = ", ".join(f"{m:.2f}" for m in normalization["mean_log2"])
    std = ", ".join(f"{s:.2f}" for s in normalization["std_log2"])
    lines += ["", f"Normalisation learned on {normalization['windows']} training windows (log2 units):",
              f"mean [{mean}], std [{std}]; int8 = round((c - mean) / (4 std / 128)).", "",
              "![SNR and duration](snr_duration.png)", "",
              "![feature distributions per split](features.png)", ""]  # fmt: skip
    return "\n".join(lines)


def report_augmentation(rows: list[dict[str, Any]], variants: list[dict[str, Any]]) -> str:
    """The report's augmentation coverage: variants per split and source kind, the share of
    accepted clips that got variants, and how often each augmentation was drawn (with its range)."""
    accepted = Counter((r["split"], r["kind"]) for r in rows if r["status"] == "accepted")
    made = Counter((v["split"], v["kind"]) for v in variants)
    covered = Counter((v["split"], v["kind"]) for v in {v["source_id"]: v for v in variants}.values())
    lines = ["## Augmentation coverage", "", "| split | kind | accepted clips | with variants | variants |",
             "|---|---|--:|--:|--:|"]  # fmt: skip
    for key in sorted(accepted):
        lines.append(f"| {key[0]} | {key[1]} | {accepted[key]} | {covered[key]} | {made[key]} |")
    recipes = [json.loads(v["augment"]) for v in variants]
    drawn = {
        "speed": [r["speed"] for r in recipes if r["speed"] != 1.0],
        "pitch (semitones)": [r["pitch_semitones"] for r in recipes if r["pitch_semitones"] != 0.0],
        "VTL warp": [r["vtlp"] for r in recipes if r["vtlp"] != 1.0],
        "reverb (Sabine RT60 s)": [r["reverb"]["rt60_s"] for r in recipes if r["reverb"]],
        "noise (SNR dB)": [r["noise"]["snr_db"] for r in recipes if r["noise"]],
        "gain (dB)": [r["gain_db"] for r in recipes if r["gain_db"] != 0.0],
        "time shift (s)": [r["shift_s"] for r in recipes if r["shift_s"] != 0.0],
    }
    lines += ["", f"{len(variants)} variants; each augmentation's share of them and the range drawn:", "",
              "| augmentation | variants | share | min | max |", "|---|--:|--:|--:|--:|"]  # fmt: skip
    for name, values in drawn.items():
        share = len(values) / len(variants) if variants else 0.0
        low, high = (f"{min(values):.3g}", f"{max(values):.3g}") if values else ("-", "-")
        lines.append(f"| {name} | {len(values)} | {share:.0%} | {low} | {high} |")
    lines += ["", "Variants keep their source's split, group and label; background noise is drawn from the "
              "accepted noise clips of the same split.", "", ""]  # fmt: skip
    return "\n".join(lines)
