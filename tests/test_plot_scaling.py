"""scripts/plot_scaling.py: the points it takes from bench_cpu.py's rows, and the figure it writes; the
benchmark's helpers (competing processes, the machine probe)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from plot_scaling import points  # noqa: E402

ROWS = [
    {"network": "coba", "engine": "genn_neuromod cpu, 1 thr", "run_s": 1.0, "sim_s": 10.0, "thread_steps": [100, 0]},
    {"network": "coba", "engine": "genn_neuromod cpu, 2 thr", "run_s": 0.5, "sim_s": 10.0, "thread_steps": [25, 75]},
    {"network": "coba", "engine": "Brian2 cpp_standalone", "run_s": 3.0, "sim_s": 10.0},
    {"network": "coba", "engine": "Brian2 cython", "run_s": 9.0, "sim_s": 10.0},
    {"network": "coba", "engine": "Brian2 cpp_standalone, 2 thr", "run_s": 2.0, "sim_s": 10.0},
    {"network": "coba", "engine": "real GeNN", "run_s": 4.0, "sim_s": 10.0},
    {"network": "microcircuit 0.5 SPARSE", "engine": "genn_neuromod cpu, 2 thr", "failed": "out of memory"},
]


def test_points_by_network_engine_and_threads():
    p = points(ROWS)
    assert set(p) == {"coba"}  # a failed run draws nothing
    assert p["coba"]["genn_neuromod cpu"] == [(1, 10.0, ""), (2, 20.0, "team 75%")]
    assert p["coba"]["Brian2 cpp_standalone"] == [(2, 5.0, "")]  # its OpenMP code only
    assert p["coba"]["real GeNN"] == [(1, 2.5, "")]
    assert "Brian2 cython" not in p["coba"]


def test_the_figure_is_written(tmp_path):
    rows = tmp_path / "bench.json"
    rows.write_text(json.dumps(ROWS))
    out = tmp_path / "fig" / "scaling.png"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "plot_scaling.py"), str(rows), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000


def test_the_benchmark_reports_the_team_share_of_multi_threaded_rows_only():
    from bench_cpu import _team_share

    assert _team_share({"engine": "genn_neuromod cpu, 2 thr", "threads": 2, "thread_steps": [25, 75]}) == \
        "  team 75% of steps"
    assert _team_share({"engine": "genn_neuromod cpu, 2 thr", "threads": 2, "thread_steps": [100, 0]}) == \
        "  team 0% of steps"
    assert _team_share({"engine": "genn_neuromod cpu, 1 thr", "threads": 1, "thread_steps": [100, 0]}) == ""
    assert _team_share({"engine": "GeNN single_threaded_cpu", "thread_steps": []}) == ""


def test_several_files_are_joined(tmp_path):
    """Rows of two invocations (one network each) draw one figure with both."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(ROWS[:2]))
    second.write_text(json.dumps([dict(r, network="izhikevich") for r in ROWS[:2]]))
    from plot_scaling import load_rows

    assert set(points(load_rows([first, second]))) == {"coba", "izhikevich"}
    out = tmp_path / "scaling.png"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "plot_scaling.py"), str(first), str(second),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000


def test_a_network_in_several_files_is_drawn_from_the_last(tmp_path):
    """A later invocation's rows of a network replace an earlier one's; its other networks stay."""
    from plot_scaling import load_rows

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(ROWS[:2] + [dict(r, network="izhikevich") for r in ROWS[:2]]))
    later = [dict(r, network="izhikevich", run_s=r["run_s"] / 2) for r in ROWS[:2]]
    second.write_text(json.dumps(later))
    rows = load_rows([first, second])
    assert [r for r in rows if r["network"] == "izhikevich"] == later
    assert [r for r in rows if r["network"] == "coba"] == ROWS[:2]


def test_competing_processes_run_during_the_block_and_end_after_it():
    from bench_cpu import competing_processes

    with competing_processes(2) as busy:
        assert len(busy) == 2 and all(p.poll() is None for p in busy)
    assert all(p.poll() is not None for p in busy)
    with competing_processes(0) as busy:
        assert busy == []


def test_machine_probe_measures_two_threads_in_units_of_one():
    """The probe's ratios are 2 x (one thread alone) / (each of two threads): between a shared core's 1 and two
    free cores' 2, give or take the machine's noise; a barrier costs more than nothing."""
    from _machine_probe import describe, probe

    result = probe()
    if not result:
        pytest.skip("no C compiler with OpenMP")
    assert 0.3 < result["vector_2thr_x"] < 2.6 and 0.3 < result["chain_2thr_x"] < 2.6
    assert result["barrier_ns"] > 0
    assert "barrier of two threads costs" in describe(result) and "no C compiler" in describe({})


def test_interleaved_rounds_keep_the_median_run_and_a_failed_run_sorts_last():
    from bench_cpu import interleaved

    times = {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, None, 4.0])}
    order = []

    def run(label):
        order.append(label)
        t = next(times[label])
        return {"engine": label, "failed": "out of memory"} if t is None else {
            "engine": label, "run_s": t, "build_s": 10.0 * t}

    rows = interleaved([("a", lambda: run("a")), ("b", lambda: run("b"))], 3)
    assert order == ["a", "b", "b", "a", "a", "b"]  # each round starts one engine later
    a, b = rows
    assert a["run_s"] == 2.0 and a["run_s_all"] == [3.0, 1.0, 2.0] and a["build_s"] == 30.0  # the first build
    assert b["run_s"] == 5.0 and b["run_s_all"] == [5.0, 4.0]  # median of [4, 5, failed]
