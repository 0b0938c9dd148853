"""What changed between two dataset versions: examples, label and group counts, config."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from kwsc.store import Store


@dataclass(frozen=True)
class DatasetDiff:
    """Examples added, removed or changed (same id, other audio, status, label or split), count
    changes per label and per group (accepted clips), and config keys that differ."""

    base: str
    current: str
    added: list[str]
    removed: list[str]
    changed: list[tuple[str, dict[str, tuple[Any, Any]]]]
    labels: dict[str, tuple[int, int]]
    groups: dict[str, tuple[int, int]]
    config: dict[str, tuple[Any, Any]]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def diff_versions(store: Store, base: str, current: str) -> DatasetDiff:
    """Compare two versions (ids or unique prefixes) of one store."""
    rows_a = {r["id"]: r for r in store.manifest(base)}
    rows_b = {r["id"]: r for r in store.manifest(current)}
    compared = ("sha256", "status", "reason", "label", "split", "group")
    changed = []
    for key in sorted(rows_a.keys() & rows_b.keys()):
        delta = {f: (rows_a[key][f], rows_b[key][f]) for f in compared if rows_a[key][f] != rows_b[key][f]}
        if delta:
            changed.append((key, delta))

    def counts(rows: dict[str, dict], field: str) -> Counter:
        return Counter(r[field] for r in rows.values() if r["status"] == "accepted")

    def paired(a: Counter, b: Counter) -> dict[str, tuple[int, int]]:
        return {k: (a.get(k, 0), b.get(k, 0)) for k in sorted(a.keys() | b.keys()) if a.get(k, 0) != b.get(k, 0)}

    config_a = _flatten(store.lineage(base)["config"])
    config_b = _flatten(store.lineage(current)["config"])
    config = {k: (config_a.get(k), config_b.get(k)) for k in sorted(config_a.keys() | config_b.keys())
              if config_a.get(k) != config_b.get(k)}  # fmt: skip
    return DatasetDiff(
        store.resolve(base).name, store.resolve(current).name,
        sorted(rows_b.keys() - rows_a.keys()), sorted(rows_a.keys() - rows_b.keys()), changed,
        paired(counts(rows_a, "label"), counts(rows_b, "label")),
        paired(counts(rows_a, "group"), counts(rows_b, "group")), config,
    )  # fmt: skip


def format_diff(diff: DatasetDiff, limit: int = 20) -> str:
    """Human-readable summary of a DatasetDiff."""
    lines = [f"{diff.base} -> {diff.current}"]
    lines.append(f"examples: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed")
    for name, ids in (("added", diff.added), ("removed", diff.removed)):
        for item in ids[:limit]:
            lines.append(f"  {name[0].upper()} {item}")
        if len(ids) > limit:
            lines.append(f"  ... {len(ids) - limit} more {name}")
    for item, delta in diff.changed[:limit]:
        what = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in delta.items())
        lines.append(f"  ~ {item}: {what}")
    lines.append("accepted clips per label: " + (
        ", ".join(f"{k} {a} -> {b}" for k, (a, b) in diff.labels.items()) or "unchanged"))  # fmt: skip
    lines.append(f"accepted clips per group: {len(diff.groups)} groups changed")
    for group, (a, b) in list(diff.groups.items())[:limit]:
        lines.append(f"  {group}: {a} -> {b}")
    lines.append("config: " + ("unchanged" if not diff.config else f"{len(diff.config)} keys changed"))
    for key, (a, b) in diff.config.items():
        lines.append(f"  {key}: {a!r} -> {b!r}")
    return "\n".join(lines)
