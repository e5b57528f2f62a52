"""End to end through train.py's `main()`, the way users run it: in this process, and once as
`python train.py` itself."""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys

import pytest
import torch

from litgan.gan import GAN
from tests.helpers.runs import (
    PICTURES,
    REPO,
    TINY_DCGAN,
    TINY_MLP,
    check_clean_failure,
    run_main,
    run_train,
)

LOGGED_KEYS = {
    "train/value_real",
    "train/value_fake",
    "train/value",
    "train/d_real",
    "train/d_fake",
    "train/d_loss",
    "train/g_loss",
    "train/g_grad_norm",
    "train/d_grad_norm",
}


def read_metrics(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


def check_value_terms(rows):
    """Every logged row: V is the sum of its two terms, D's outputs are probabilities, and D's
    loss is -V."""
    for row in rows:
        value = float(row["train/value_real"]) + float(row["train/value_fake"])
        assert float(row["train/value"]) == pytest.approx(value, abs=1e-5)
        assert 0 < float(row["train/d_real"]) < 1 and 0 < float(row["train/d_fake"]) < 1
        assert float(row["train/d_loss"]) == pytest.approx(-float(row["train/value"]), abs=1e-5)


def without_times(text: str, run_dir) -> list[str]:
    """`text`'s lines without what differs from one run of a command to the next: timestamps,
    durations, the run's directory and the progress bar (redrawn by the clock)."""
    text = text.replace(str(run_dir), "RUN")
    text = re.sub(r"\[\d{4}-\d\d-\d\d [\d:,]+\]", "[TIME]", text)
    text = re.sub(r"\d+(\.\d+)? s\b", "N s", text)
    return [line for line in text.splitlines() if not re.search(r"\d+%\|", line)]


def check_run_directory(run, g_steps):
    assert run.returncode == 0, run.stderr[-3000:]
    rows = read_metrics(run.run_dir)
    assert set(rows[0]) >= LOGGED_KEYS
    # The x-axis is the generator iteration: training rows every log_every_n_steps (10),
    # 1-based as in summary.json and the sample files; each sample picture adds a row of its
    # own at its iteration (samples/push_median).
    rows = [r for r in rows if r["train/value"]]
    assert [int(r["step"]) for r in rows] == list(range(10, g_steps + 1, 10))
    check_value_terms(rows)
    summary = run.summary
    assert summary["g_steps"] == g_steps and summary["world_size"] == 1
    assert summary["wall_time_s"] > 0 and summary["wall_time_parts"] == 1
    assert set(summary["final"]) >= LOGGED_KEYS
    assert "best" in summary
    assert (run.run_dir / "checkpoints" / "last.ckpt").is_file()
    assert (run.run_dir / ".hydra" / "config.yaml").is_file()
    assert "V(D,G)" in run.stdout and str(run.run_dir) in run.stdout
    return summary


@pytest.mark.slow
def test_python_train_py_leaves_the_documented_files(tmp_path):
    """The smoke test of `python train.py` in a new interpreter; the others run `main()` or a
    process forked from a warm one (`run_train`), which must give what a new one gives."""
    command = (*TINY_MLP, PICTURES, "trainer.max_steps=40", "sample_every=20")
    run = run_train(tmp_path, *command, fresh=True)
    check_run_directory(run, g_steps=40)
    forked = run_train(tmp_path, *command, run_dir=tmp_path / "forked")
    assert forked.returncode == 0, forked.stderr[-3000:]
    assert (forked.run_dir / "metrics.csv").read_bytes() == (
        run.run_dir / "metrics.csv"
    ).read_bytes()
    assert without_times(forked.stdout, forked.run_dir) == without_times(run.stdout, run.run_dir)
    assert without_times(forked.stderr, forked.run_dir) == without_times(run.stderr, run.run_dir)
    assert (forked.run_dir / "train.log").read_text().count("\n") == (
        (run.run_dir / "train.log").read_text().count("\n")
    )
    samples = sorted(p.name for p in (run.run_dir / "samples").iterdir())
    assert samples == ["g_step_000020.png", "g_step_000040.png"]
    pushes = [r for r in read_metrics(run.run_dir) if r["samples/push_median"]]
    assert [int(r["step"]) for r in pushes] == [20, 40]
    assert all(float(r["samples/push_median"]) > 0 for r in pushes)
    ckpt = torch.load(run.run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["g_steps"] == 40
    assert ckpt["hyper_parameters"]["loss"] == {"_target_": "litgan.game.games.NonSaturating"}


def test_pictures_false_draws_nothing_and_changes_no_number(monkeypatch, capsys, tmp_path):
    rows = {}
    for pictures in ("true", "false"):
        overrides = (*TINY_MLP, f"pictures={pictures}", "trainer.max_steps=20", "sample_every=10")
        run_dir = f"hydra.run.dir={tmp_path / pictures}"
        status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, run_dir, base=())
        assert status == 0, stderr
        with open(tmp_path / pictures / "metrics.csv") as f:
            rows[pictures] = list(csv.DictReader(f))
    drawn = {p.relative_to(tmp_path / "true").parts[0] for p in (tmp_path / "true").rglob("*.*")}
    assert {"samples", "plots"} <= drawn
    assert not (tmp_path / "false" / "samples").exists()
    assert not (tmp_path / "false" / "plots").exists()

    # The same numbers, but for the pictures' own rows (the arrows' median push).
    def numbers(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [{k: v for k, v in r.items() if v and k != "samples/push_median"} for r in rows]
        return [r for r in kept if set(r) != {"step"}]

    assert any(r["samples/push_median"] for r in rows["true"])
    assert numbers(rows["true"]) == numbers(rows["false"])


def test_a_packing_discriminator_trains_end_to_end(monkeypatch, capsys, tmp_path):
    """PacGAN's packing through the entry point: training, validation and the picture of D."""
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "model.discriminator.pack=4",
        "trainer.max_steps=20",
        "val_every=20",
        "sample_every=20",
        "metrics=default",
        base=(*TINY_MLP, PICTURES),
    )
    assert status == 0, stderr
    run_dir = tmp_path / "run"
    rows = [r for r in read_metrics(run_dir) if r["train/value"]]
    assert len(rows) == 2
    check_value_terms(rows)
    # D's decision surface is drawn from packs of copies of each grid point.
    assert (run_dir / "samples" / "g_step_000020.png").is_file()
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["hyper_parameters"]["model"]["discriminator"]["pack"] == 4
    # 4 packed 2D points in, one logit out.
    assert ckpt["state_dict"]["discriminator.net.0.weight"].shape == (32, 8)


def test_a_run_with_a_weight_average_of_g_checkpoints_and_reloads_it(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "model.ema_decay=0.9",
        "trainer.max_steps=20",
        base=tuple(TINY_MLP),
    )
    assert status == 0, stderr
    ckpt_path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    state = torch.load(ckpt_path, weights_only=False)["state_dict"]
    averaged = {k.removeprefix("generator_ema.") for k in state if k.startswith("generator_ema.")}
    assert averaged == {k.removeprefix("generator.") for k in state if k.startswith("generator.")}
    assert any(
        not torch.equal(state[f"generator_ema.{k}"], state[f"generator.{k}"]) for k in averaged
    )
    # What litgan-fid and the sample pictures use: the reloaded average, not G.
    gan = GAN.load_from_checkpoint(ckpt_path, map_location="cpu", weights_only=True)
    assert gan.sampling_generator is gan.generator_ema
    for key in averaged:
        assert torch.equal(gan.generator_ema.state_dict()[key], state[f"generator_ema.{key}"])


@pytest.mark.slow
def test_digits_dcgan_minimax_run(train_in):
    run = train_in(*TINY_DCGAN, PICTURES, "data=digits", "loss=minimax", "trainer.max_steps=20")
    summary = check_run_directory(run, g_steps=20)
    # The minimax G loss is E[log(1 - D(G(z)))], the fake term of V, not BCE against "real".
    assert summary["final"]["train/g_loss"] < 0
    assert (run.run_dir / "samples" / "g_step_000020.png").is_file()


@pytest.mark.slow
def test_max_steps_counts_generator_updates(train_in):
    run = train_in(*TINY_MLP, "trainer.max_steps=30", "d_steps=3")
    summary = check_run_directory(run, g_steps=30)
    assert summary["d_steps"] == 90
    ckpt = torch.load(run.run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 120  # Lightning's count: 30 × (3 + 1) optimizer steps


@pytest.mark.slow
def test_multirun_sweeps_the_loss(train_in, tmp_path):
    sweep = tmp_path / "sweep"
    run = train_in(
        "-m", *TINY_MLP, "trainer.max_steps=10", "loss=minimax,non_saturating", run_dir=sweep
    )
    assert run.returncode == 0, run.stderr[-3000:]
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert [p.name for p in jobs] == ["0", "1"]
    for job in jobs:
        assert (job / "summary.json").is_file() and (job / "metrics.csv").is_file()
    # Each job's summary line names its overrides: the printed lines tell the jobs apart.
    outputs = [line for line in run.stdout.splitlines() if line.startswith("  outputs: ")]
    assert len(outputs) == 2
    for job, loss, line in zip(jobs, ["minimax", "non_saturating"], outputs, strict=True):
        assert line.startswith(f"  outputs: {job} (") and f"loss={loss}" in line


def test_value_at_start_is_near_minus_log4(train_in):
    # An untrained D outputs about ½ everywhere, so V starts near its optimum value -log 4.
    run = train_in(*TINY_MLP, "trainer.max_steps=10", "trainer.log_every_n_steps=1")
    first = read_metrics(run.run_dir)[0]
    assert float(first["train/value"]) == pytest.approx(-math.log(4), abs=0.2)


# More bad inputs, each with its message, are in tests/test_bad_input.py (the README's table).
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["trainer.max_steps=0"], "trainer.max_steps must be an integer of at least 1 or -1"),
        (
            ["penalty=r1", "model.discriminator.batch_norm=true"],
            "set model.discriminator.batch_norm=false",
        ),
        (["data.num_samples=100"], "lower data.batch_size or d_steps"),
    ],
)
def test_bad_config_fails_with_a_clear_message(overrides, message, monkeypatch, capsys, tmp_path):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=tuple(TINY_MLP))
    assert status == 2
    assert message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "run" / "summary.json").exists()


def test_help_and_config_errors_do_not_import_torch(tmp_path):
    # Hydra has composed the config by then: torch and Lightning load only for training.
    script = (
        "import sys\n"
        "from litgan.cli.train import main\n"
        f"for argv in (['--help'], ['trainer.max_steps=0', 'hydra.run.dir={tmp_path}']):\n"
        "    sys.argv = ['train.py', *argv]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exit_:\n"
        "        print('exit', exit_.code)\n"
        "print('loaded', sorted(m for m in ('torch', 'pytorch_lightning') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.splitlines()[-3:] == ["exit 0", "exit 2", "loaded []"], proc.stderr
    assert "trainer.max_steps must be an integer of at least 1 or -1, got 0" in proc.stderr


def test_a_run_and_its_resume_print_no_lightning_noise(
    monkeypatch, capsys, caplog, recwarn, tmp_path
):
    for steps, resume in ((10, ()), (15, ("ckpt_path=last",))):
        status, stderr = run_main(
            monkeypatch,
            capsys,
            tmp_path,
            *TINY_MLP,
            f"trainer.max_steps={steps}",
            "checkpoint_every=5",
            *resume,
            base=(),
        )
        assert status == 0, stderr
    noise = (
        "💡 Tip",
        "`Trainer.fit` stopped",
        "is not empty",
        "dataloader is not resumable",
        "LeafSpec",
        "Total length of `list`",
    )
    said = [r.getMessage() for r in caplog.records] + [str(w.message) for w in recwarn]
    assert not [line for line in [*said, stderr] if any(n in line for n in noise)]


def test_kept_checkpoints_hold_the_run_at_their_iterations(monkeypatch, capsys, tmp_path):
    keep = ("checkpoint_every=2", "callbacks.last_checkpoint.keep=[2,6]")
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *keep,
        "trainer.max_steps=8",
        "sample_every=8",
        base=tuple(TINY_MLP),
    )
    assert status == 0, stderr
    folder = tmp_path / "run" / "checkpoints"
    assert {p.name for p in folder.glob("step=*.ckpt")} == {"step=2.ckpt", "step=6.ckpt"}
    ckpts = {
        n: torch.load(folder / f"{n}.ckpt", weights_only=False)
        for n in ("step=2", "step=6", "last")
    }
    assert [ckpts[n]["g_steps"] for n in ("step=2", "step=6", "last")] == [2, 6, 8]
    weights = {n: next(iter(c["state_dict"].values())) for n, c in ckpts.items()}
    assert not torch.equal(weights["step=2"], weights["step=6"])
    assert not torch.equal(weights["step=6"], weights["last"])


def test_a_kept_checkpoint_off_the_checkpoint_grid_is_refused(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "checkpoint_every=2",
        "callbacks.last_checkpoint.keep=[3]",
        base=tuple(TINY_MLP),
    )
    check_clean_failure(status, stderr, tmp_path, "keep has 3", "checkpoint_every=2")
