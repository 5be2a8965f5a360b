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
