"""The distal-reward results table: medians and interquartile ranges over seeds, worked by hand."""

from __future__ import annotations

from genn_neuromod.experiments.report import COLUMNS, results_table


def _summary(cond: str, seed: int, t_learn: float, rewards: int) -> dict:
    row = {k: 1.0 for k, _ in COLUMNS}
    row.update(condition=cond, seed=seed, t_learn_s=t_learn, rewards=rewards)
    return row


def test_table_gives_median_and_iqr_and_counts_learning_over_all_seeds():
    runs = [_summary("a", s, t, r) for s, t, r in ((1, 100.0, 10), (2, 200.0, 20), (3, 400.0, 30),
                                                    (4, float("inf"), 40), (5, 300.0, 50))]
    runs += [_summary("b", 1, float("inf"), 7)]
    lines = results_table(runs).splitlines()
    assert lines[0].startswith("| condition | seeds | learned | time to learn (s)")
    a = [c.strip() for c in lines[2].strip("|").split("|")]
    # time to learn over the four seeds that learned: 100, 200, 300, 400 -> median 250, IQR [175, 325]
    assert a[:4] == ["a", "5", "4/5", "250 [175, 325]"]
    # rewards over all five seeds: 10..50 -> median 30, IQR [20, 40]
    assert a[5] == "30 [20, 40]"
    b = [c.strip() for c in lines[3].strip("|").split("|")]
    assert b[:4] == ["b", "1", "0/1", "n/a"] and b[5] == "7 [7, 7]"


def test_ablation_table_pairs_variants_with_their_base_by_seed(tmp_path):
    """Each variant against its base over the seeds both ran; a run that never learned counts as its duration;
    the median paired change, a Wilcoxon p and 'beyond spread' (|median change| > the base's IQR)."""
    from genn_neuromod.experiments.report import ablation_table

    base_t = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
    base_stability = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    runs = []
    for seed, (t, st) in enumerate(zip(base_t, base_stability, strict=True), start=1):
        runs.append(dict(_summary("na_ach", seed, t, 5), stability=st, duration_s=3600.0))
        later = float("inf") if seed == 6 else t + 1000.0  # seed 6 never learns: counts as 3600 s
        runs.append(dict(_summary("na_ach-delays", seed, later, 5), stability=st - 0.25 * (seed % 2),
                         duration_s=3600.0))
        runs.append(dict(_summary("na_ach-switch_rule", seed, t, 5), stability=st - 0.5, duration_s=3600.0))
    runs.append(dict(_summary("na_ach-delays", 99, 50.0, 5), stability=0.9, duration_s=3600.0))  # no base: left out
    lines = ablation_table(runs).splitlines()
    assert lines[0].startswith("| variant | seeds | learned | time to learn (s) | paired change (s) | p |")
    row = [c.strip() for c in lines[2].strip("|").split("|")]
    assert row[0] == "na_ach-delays vs na_ach" and row[1] == "6" and row[2] == "5/6"
    assert row[4] == "1000"  # paired changes 1000 x5 and 3000: median 1000
    assert float(row[5]) < 0.05 and row[6] == "yes"  # all six later; 1000 > IQR of the base (250)
    # stability: paired changes -0.25 x3 and 0 x3 -> median -0.125, inside the base's IQR (0.25): not beyond spread
    assert row[8] == "-0.125" and float(row[9]) > 0.05 and row[10] == "no"
    assert lines[1].count("---") == 11
    # the same times to learn, stability 0.5 lower on every seed: beyond the base's IQR of 0.25
    row = [c.strip() for c in lines[3].strip("|").split("|")]
    assert row[0] == "na_ach-switch_rule vs na_ach" and row[4] == "0" and row[6] == "no"
    assert row[8] == "-0.5" and float(row[9]) < 0.05 and row[10] == "yes"
    assert len(lines) == 4  # the base itself is not a row
    from genn_neuromod.experiments.report import paired_comparisons, plot_ablation

    comps = {c.variant: c for c in paired_comparisons(runs)}
    delays = comps["na_ach-delays"].measures["t_learn_s"]
    assert sorted(delays.changes) == [1000.0] * 5 + [3000.0] and delays.base_spread == 250.0
    assert comps["na_ach-switch_rule"].measures["stability"].beyond_spread
    assert plot_ablation(runs, tmp_path).stat().st_size > 10_000


def _indexed_run(cond: str, seed: int, t_learn: float, out) -> dict:
    return dict(_summary(cond, seed, t_learn, 5), stability=0.9, duration_s=3600.0, wall_s=10.0,
                final_chosen_weight=4.0, store=str(out / f"{cond}_seed{seed}.zarr"))


def test_a_sweep_index_without_its_stores_counts_as_complete(tmp_path, capsys):
    """`results.json` carries a sweep between machines: its runs are not re-run although their stores are gone,
    the tables are rebuilt from it, entries of other durations stay in it, and the figures that need stores
    are still drawn."""
    import json

    from genn_neuromod.experiments.runner import run_distal_reward

    runs = [_indexed_run(c, s, 100.0 * (s + 1) + (50.0 if c != "na_ach" else 0.0), tmp_path)
            for s in range(5) for c in ("na_ach", "na_ach-delays")]
    other = dict(_indexed_run("na_ach", 0, 10.0, tmp_path), duration_s=60.0)
    (tmp_path / "results.json").write_text(json.dumps(runs + [other]))
    done = run_distal_reward(["na_ach", "na_ach-delays"], [0, 1, 2, 3, 4, 5], 3600.0, tmp_path,
                             report_only=True)
    assert "12 runs (10 complete, 10 of them only in results.json; 2 to do)" in capsys.readouterr().out
    assert len(done) == 10
    ablation = (tmp_path / "ablation.md").read_text().splitlines()[2]
    cells = [c.strip() for c in ablation.strip("|").split("|")]
    assert cells[:5] == ["na_ach-delays vs na_ach", "5", "5/5", "350 [250, 450]", "50"]
    index = json.loads((tmp_path / "results.json").read_text())
    assert len(index) == 11 and {r["duration_s"] for r in index} == {3600.0, 60.0}
    assert all((tmp_path / f).exists() for f in ("rewarded_weight.png", "time_to_learn.png", "final_weights.png",
                                                 "ablation.png"))


def test_a_corrupt_sweep_index_is_refused_with_its_path(tmp_path):
    import pytest

    from genn_neuromod.experiments.runner import run_distal_reward

    (tmp_path / "results.json").write_text('[{"seed": 1}]')
    with pytest.raises(ValueError, match="results.json is not a results index"):
        run_distal_reward(["na_ach"], [0], 3600.0, tmp_path, report_only=True)


def test_an_indexed_run_whose_store_was_cut_off_is_left_out_of_the_figures(tmp_path):
    """A store of the same name as an indexed run, stopped part way (spikes but no ``experiment`` group), is
    left out of the figures drawn from stores instead of failing the report (it did: KeyError 'experiment')."""
    import json

    import zarr

    from genn_neuromod.experiments.report import _has_experiment
    from genn_neuromod.experiments.runner import run_distal_reward

    runs = [_indexed_run("na_ach", s, 100.0 * (s + 1), tmp_path) for s in range(3)]
    (tmp_path / "results.json").write_text(json.dumps(runs))
    cut = zarr.open_group(runs[0]["store"], mode="w")
    cut.create_group("spikes")
    assert not _has_experiment(runs[0]["store"]) and not _has_experiment(runs[1]["store"])
    done = run_distal_reward(["na_ach"], [0, 1, 2], 3600.0, tmp_path, report_only=True)
    assert len(done) == 3
    assert all((tmp_path / f).exists() for f in ("rewarded_weight.png", "time_to_learn.png", "final_weights.png"))
    assert not (tmp_path / "ablation.png").exists()  # no variants: no ablation
