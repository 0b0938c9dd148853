"""The main job end to end at CI size: `kwsc demo --small` compiles examples/small.toml from an
empty store into a dataset, a verified INT8 model, a device-checked streaming evaluation and a
report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kwsc.cli import main
from kwsc.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_small_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the demo's example paths are relative to the checkout, as in the README
    result = CliRunner().invoke(main, ["demo", "--small", "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "store")
    (version,) = store.versions()
    counts = store.lineage(version)["counts"]
    assert counts["inputs"] == counts["accepted"] + counts["rejected"] + counts["duplicate"]
    rows = store.manifest(version)
    assert len([r for r in rows if r["status"] != "augmented"]) == counts["inputs"]
    models = [p for p in store.models.iterdir() if (p / "model.tflite").is_file()]
    (folder,) = [p for p in models if (p / "report.md").is_file()]  # the kept one of 2 restarts (small.toml)
    restarts = json.loads((folder / "lineage.json").read_text())["restarts"]
    assert sorted(c["seed"] for c in restarts["candidates"]) == [0, 1] and len(models) == 3
    kept = store.models / restarts["chosen"]["model"]
    assert (kept / "model.tflite").read_bytes() == (folder / "model.tflite").read_bytes()
    for name in ("model.tflite", "kwsc_model.c", "kwsc_model.h", "meta.json", "lineage.json", "eval.json",
                 "det.json", "det.png", "report.md", "report.html"):  # fmt: skip
        assert (folder / name).is_file(), name
    lineage = json.loads((folder / "lineage.json").read_text())
    assert lineage["dataset_version"] == version and lineage["runtime_mismatches"] == 0
    assert lineage["model_bytes"] <= lineage["train"]["max_model_bytes"]
    evaluation = json.loads((folder / "eval.json").read_text())
    assert evaluation["device_check"]["identical"] and evaluation["device_check"]["inferences"] > 50
    assert evaluation["test"]["trials"] > 0 and evaluation["test"]["negative_hours"] > 0
    assert evaluation["crossvoice"]["trials"] > 0  # flite's voices, held out of training (small.toml)
    assert {r["split"] for r in rows if r["group"].startswith("flite:")} == {"crossvoice"}
    det = json.loads((folder / "det.json").read_text())
    for split in ("validation", "test"):
        assert len(det[split]) == 257
        assert all(0.0 <= p["frr"] <= 1.0 and p["fa_per_hour"] >= 0 for p in det[split])
    report = (folder / "report.md").read_text()
    assert (
        "## Headline" in report
        and "cross-voice (held-out voices)" in report
        and "over budget" not in report.lower()
        and "![DET curve](det.png)" in report
        and "| crossvoice |" in report  # which held-out voices the misses come from
    )
    assert f"report     {folder / 'report.md'}" in result.output
    assert "restarts   seeds 0-1, validation FRR " in result.output
    assert f"seed {restarts['chosen']['seed']} kept (model {kept.name[:8]})" in result.output
