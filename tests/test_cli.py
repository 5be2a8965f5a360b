"""The genn-neuromod command line: runs, stores, analysis, plots, sweeps and its error messages."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genn_neuromod.circuits import build_model, load_graph
from genn_neuromod.cli import main
from genn_neuromod.recording import open_store

REPO = Path(__file__).resolve().parent.parent
CIRCUIT = REPO / "data" / "example_circuit.json"


def test_run_store_equals_in_memory_recording(tmp_path, capsys):
    assert main(["run", str(CIRCUIT), "--out", str(tmp_path / "run.zarr"), "--duration", "300", "--seed", "5",
                 "--quiet", "--chunk-steps", "128"]) == 0
    rec = open_store(tmp_path / "run.zarr")
    assert rec.complete
    graph = load_graph(CIRCUIT)
    graph.graph["seed"] = 5
    model, handles = build_model(graph)
    model.build(str(tmp_path / "mem"))
    model.load(num_recording_timesteps=300)
    model.step_time_n(300)
    for pop in ("E", "I"):
        t_mem, i_mem = handles.populations[pop].spike_recording_data[0]
        t_st, i_st = rec.spikes(pop)
        assert len(t_mem) > 50
        o_mem, o_st = np.lexsort((i_mem, t_mem)), np.lexsort((i_st, t_st))
        np.testing.assert_array_equal(t_st[o_st], t_mem[o_mem])
        np.testing.assert_array_equal(i_st[o_st], i_mem[o_mem])


def test_inspect_analyze_plot(tmp_path, capsys):
    store = str(tmp_path / "run.zarr")
    assert main(["run", str(CIRCUIT), "--out", store, "--duration", "200", "--quiet",
                 "--record", "weights:EE.g", "state:E.V"]) == 0
    capsys.readouterr()
    assert main(["inspect", store]) == 0
    text = capsys.readouterr().out
    assert "population E: 400" in text and "complete" in text and "snapshots of ['g']" in text
    assert main(["analyze", store, "--json", str(tmp_path / "a.json")]) == 0
    res = json.loads((tmp_path / "a.json").read_text())
    assert 0.5 < res["populations"]["E"]["rate_hz_mean"] < 50
    assert "EE.g" in res["synapses"]
    assert main(["plot", store, "--out-dir", str(tmp_path / "plots")]) == 0
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert {"raster_E.png", "raster_I.png", "population_rates.png", "weights_EE_g.png"} <= set(pngs)


@pytest.mark.parametrize("argv,needle", [
    (["run", "missing.json"], "does not exist"),
    (["inspect", "nothere.zarr"], "nothere.zarr"),
    (["run", "CIRCUIT", "--record", "bogus"], "bad --record"),
    (["run", "BADMODEL"], "node 'E'"),
    (["sweep", "missing.toml"], "does not exist"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, argv, needle):
    bad = json.loads(CIRCUIT.read_text())
    for node in bad["nodes"]:
        if node["id"] == "E":
            node["model"] = "NoSuchModel"
            node.pop("mixture", None)
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    argv = [str(CIRCUIT) if a == "CIRCUIT" else str(tmp_path / "bad.json") if a == "BADMODEL" else a for a in argv]
    proc = subprocess.run([sys.executable, "-m", "genn_neuromod", *argv], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_two_point_sweep_on_local_cluster_resumes(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(f"""
circuit = "{CIRCUIT}"
duration = 100.0
out = "out"
seeds = [1]
[grid]
"edges.EE.weight_update.vars.g" = [0.0, 1.0]
""")
    proc = subprocess.run([sys.executable, "-m", "genn_neuromod", "sweep", str(cfg), "--workers", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stores = sorted((tmp_path / "out").glob("*.zarr"))
    assert len(stores) == 2
    counts = []
    for s in stores:
        rec = open_store(s)
        assert rec.complete
        assert rec.attrs["metadata"]["overrides"]["edges.EE.weight_update.vars.g"] in (0.0, 1.0)
        counts.append(len(rec.spikes("E")[0]))
    assert counts[0] != counts[1]  # the swept weight changed the dynamics
    again = subprocess.run([sys.executable, "-m", "genn_neuromod", "sweep", str(cfg), "--workers", "1"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "2 already complete, 0 to do" in again.stdout


def test_run_on_real_genn_engine(tmp_path, capsys):
    pytest.importorskip("pygenn")
    store = str(tmp_path / "genn.zarr")
    assert main(["run", str(CIRCUIT), "--engine", "genn", "--out", store, "--duration", "200", "--quiet"]) == 0
    rec = open_store(store)
    assert rec.complete and rec.attrs["engine"] == "pygenn"
    assert len(rec.spikes("E")[0]) > 50


def test_a_key_error_names_what_was_not_found(monkeypatch, capsys):
    """A bare KeyError prints as the key that was missing, one with a message as that message (str() of a
    KeyError is the repr of its argument: "error: 'experiment'" said nothing)."""
    import importlib

    cli = importlib.import_module("genn_neuromod.cli.main")  # the module (the package's 'main' is the function)

    def missing_key(args):
        raise KeyError("experiment")

    def described(args):
        raise KeyError("no population 'E' in the store")

    for raiser, expected in ((missing_key, "error: not found: 'experiment'"),
                             (described, "error: no population 'E' in the store")):
        monkeypatch.setattr(cli, "_cmd_inspect", raiser)
        assert cli.main(["inspect", "x.zarr"]) == 2
        assert capsys.readouterr().err.strip().endswith(expected)
