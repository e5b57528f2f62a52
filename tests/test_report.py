"""litgan-report's over-seeds table, on job directories in the layout train.py writes."""

from __future__ import annotations

import json

import pytest
import yaml
from matplotlib.text import Text

from litgan.cli.report import (
    EARLY_STEPS,
    find_jobs,
    group_rows,
    job_rows,
    main,
    report_figure,
    spread,
    write_report,
)
from litgan.game.games import Hinge, Wasserstein


def write_job(job, overrides, final=None, grad_norms=()):
    """A Hydra job directory: overrides, metrics.csv rows, and summary.json when it finished."""
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    rows = ["epoch,step,train/g_grad_norm"] + [f"0,{s},{v}" for s, v in grad_norms]
    (job / "metrics.csv").write_text("\n".join(rows) + "\n")
    if final is not None:
        summary = {"final": final, "wall_time_s": 10.0, "g_steps": 300}
        (job / "summary.json").write_text(json.dumps(summary))


def test_spread_is_mean_std_and_range():
    assert spread([6.0, 8.0], "{:.1f}") == "7.0 ± 1.0 (6.0–8.0)"
    assert spread([-1.0, -3.0], "{:+.1f}") == "-2.0 ± 1.0 (-3.0–-1.0)"
    assert spread([5.0], "{:.1f}") == "5.0"


def test_jobs_that_differ_only_in_seed_form_one_row(tmp_path):
    early, late = EARLY_STEPS, EARLY_STEPS + 10
    write_job(
        tmp_path / "0",
        ["loss=minimax", "seed=0"],
        {"val/modes": 2, "val/high_quality": 0.5},
        [(10, 1e-4), (early, 3e-4), (late, 5.0)],
    )
    write_job(
        tmp_path / "1",
        ["loss=minimax", "seed=1"],
        {"val/modes": 4, "val/high_quality": 0.7},
        [(10, 4e-4), (late, 7.0)],
    )
    write_job(tmp_path / "2", ["loss=non_saturating", "seed=0"], {"val/modes": 8}, [(10, 1.0)])
    write_job(tmp_path / "3", ["loss=non_saturating", "seed=1"])  # failed: no summary.json

    rows = {row["group"]: row for row in group_rows(sorted(tmp_path.iterdir()))}
    assert set(rows) == {"loss=minimax", "loss=non_saturating"}
    minimax, ns = rows["loss=minimax"], rows["loss=non_saturating"]
    assert minimax["seeds ok"] == "2/2" and ns["seeds ok"] == "1/2"
    assert minimax["val/modes"] == "3.0 ± 1.0 (2.0–4.0)"
    assert minimax["val/high_quality"] == "0.600 ± 0.100 (0.500–0.700)"
    # Early means: (1e-4 + 3e-4) / 2 and 4e-4; rows after EARLY_STEPS do not count.
    assert minimax[f"G grad norm, steps ≤ {early}"] == "3.00e-04 ± 1.00e-04 (2.00e-04–4.00e-04)"
    assert ns["val/modes"] == "8.0" and ns["val/high_quality"] == ""

    table = write_report(tmp_path)
    assert "| loss=minimax | 2/2 |" in table
    assert "## Over seeds" in (tmp_path / "report.md").read_text()


def test_group_names_leave_out_the_overrides_every_job_shares(tmp_path):
    shared = ["experiment=mnist5k_dcgan", "model.lr=1e-3"]
    runs = [["loss=hinge", "seed=0"], ["loss=hinge", "seed=1"], ["loss=minimax", "seed=0"]]
    for job, overrides in enumerate([*runs, ["seed=0"]]):
        write_job(tmp_path / str(job), [*shared, *overrides], {"val/fid": 1})

    rows = group_rows(find_jobs(tmp_path))
    assert [(r["group"], r["seeds ok"]) for r in rows] == [
        ("loss=hinge", "2/2"),
        ("loss=minimax", "1/1"),
        ("(the shared overrides only)", "1/1"),
    ]
    write_report(tmp_path)
    assert (
        f"(left out of the group names): {' '.join(shared)}" in (tmp_path / "report.md").read_text()
    )

    # One group: nothing is compared, so its name keeps every override but the seed.
    (only,) = group_rows(find_jobs(tmp_path)[:2])
    assert only["group"] == " ".join([*shared, "loss=hinge"])


def test_group_names_leave_out_keys_that_do_not_change_results(tmp_path):
    # How a job is shown and where it writes: not what it found. Jobs that differ only in
    # those are seeds of one group.
    shown = [
        ["trainer.enable_progress_bar=false", "logger=wandb", "seed=0"],
        ["logger=tensorboard", "paths.data_dir=/data", "+logger.wandb.tags=[a]", "seed=1"],
    ]
    for job, overrides in enumerate(shown):
        write_job(tmp_path / str(job), ["loss=minimax", *overrides], {"val/fid": 1})
    write_job(tmp_path / "2", ["loss=hinge", "hydra.job.chdir=false", "seed=0"], {"val/fid": 1})
    rows = group_rows(find_jobs(tmp_path))
    assert [(r["group"], r["seeds ok"]) for r in rows] == [
        ("loss=minimax", "2/2"),
        ("loss=hinge", "1/1"),
    ]


def test_each_job_row_reads_its_own_game_against_its_own_optimum(tmp_path):
    for job, game in enumerate([Hinge(), Wasserstein()]):
        write_job(tmp_path / str(job), [f"loss={game.name}"], {"train/value": -1.5})
        summary = json.loads((tmp_path / str(job) / "summary.json").read_text())
        (tmp_path / str(job) / "summary.json").write_text(
            json.dumps({**summary, "game": game.describe()})
        )
    hinge, wasserstein = job_rows(find_jobs(tmp_path))
    assert (hinge["game"], hinge["V"], hinge["V at optimum"]) == ("hinge", "-1.5000", "-2.0000")
    assert (wasserstein["game"], wasserstein["V at optimum"]) == ("wasserstein", "+0.0000")


def test_a_sweep_it_cannot_write_to_is_reported_elsewhere_with_out(tmp_path, capsys):
    sweep, elsewhere = tmp_path / "sweep", tmp_path / "reports" / "sweep"
    write_job(sweep / "0", ["seed=0"], {"val/modes": 8}, [(10, 1.0)])
    # Stands in for a read-only sweep directory (root writes to read-only directories): a
    # directory where report.md goes makes the write fail the same way.
    (sweep / "report.md").mkdir()
    before = sorted(p.relative_to(sweep) for p in sweep.rglob("*"))
    with pytest.raises(SystemExit) as stop:
        main([str(sweep)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"litgan-report: error: cannot write {sweep / 'report.md'} (")
    assert err.endswith("write the report elsewhere with --out DIR\n")

    main([str(sweep), "--out", str(elsewhere)])
    assert "| seed=0 | ok |" in (elsewhere / "report.md").read_text()
    assert (elsewhere / "report.png").is_file()
    assert sorted(p.relative_to(sweep) for p in sweep.rglob("*")) == before


def test_interrupted_and_unfinished_jobs_are_named_and_left_out_of_the_seeds(tmp_path):
    write_job(tmp_path / "0", ["lr=1", "seed=0"], {"val/modes": 8})
    write_job(tmp_path / "1", ["lr=1", "seed=1"], {"val/modes": 2})
    summary = json.loads((tmp_path / "1" / "summary.json").read_text())
    (tmp_path / "1" / "summary.json").write_text(json.dumps({**summary, "interrupted": True}))
    write_job(tmp_path / "2", ["lr=1", "seed=2"])  # running, or killed: no summary, no error
    write_job(tmp_path / "3", ["lr=1", "seed=3"])
    (tmp_path / "3" / "error.txt").write_text("DivergenceError: d loss is nan\nmore\n")

    statuses = [row["status"] for row in job_rows(find_jobs(tmp_path))]
    assert statuses == [
        "ok",
        "interrupted at generator step 300: resume it with ckpt_path=last",
        "no summary.json: still running, or killed",
        "failed: DivergenceError: d loss is nan",
    ]
    (group,) = group_rows(find_jobs(tmp_path))
    assert group["seeds ok"] == "1/4" and group["val/modes"] == "8.0"


def test_the_report_figure_labels_every_axis_and_keeps_legends_off_the_curves(tmp_path):
    # Two groups of two seeds, with the curves whose bands the legends once sat on (val/fid's
    # upper left, where one group's band rose to the top).
    header = "epoch,step,train/value,train/g_grad_norm,val/fid,val/modes"
    runs = [(loss, seed) for loss in ("minimax", "non_saturating") for seed in (0, 1)]
    for job, (loss, seed) in enumerate(runs):
        write_job(tmp_path / str(job), [f"loss={loss}", f"seed={seed}"], {"val/modes": 8})
        rows = [
            f"0,{step},{-1.2 - 0.01 * job},{0.1 * step},{0.01 * (job + step)},{7 + seed}"
            for step in (1, 2, 3)
        ]
        (tmp_path / str(job) / "metrics.csv").write_text("\n".join([header, *rows]) + "\n")
    fig = report_figure(find_jobs(tmp_path))
    fig.draw_without_rendering()  # lays the figure out as saving it does
    assert len(fig.axes) == 4
    for ax in fig.axes:
        assert ax.get_ylabel()
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == [
            "loss=minimax (n=2)",
            "loss=non_saturating (n=2)",
        ]
        assert legend.get_window_extent().x0 >= ax.get_window_extent().x1
    for text in fig.findobj(lambda artist: isinstance(artist, Text) and artist.get_text()):
        box = text.get_window_extent()
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, text
