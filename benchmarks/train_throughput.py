"""Generator iterations per second: a hand-written PyTorch loop against litgan's Trainer run.

    python benchmarks/train_throughput.py [--iterations 30] [--warmup 5] [--repeats 5]
        [--configs dcgan32x1,dcgan64x3,mlp_ring] [--switches] [--only ROWS] [--out FILE.json]

Both sides train the same networks on the same in-memory data (DCGAN on the digits upsampled to
the size and repeated to the channels; the default MLP on the ring), with the same batch, Adam
settings and math: a D step on a real batch and
G(z).detach(), then a G step through a frozen D, both gradient norms at every step, and every
quantity litgan logs (both value terms, V, D(x), D(G(z)), both losses) on the iterations it
logs them (every trainer.log_every_n_steps). (a) is a plain loop; (b) is
litgan's GAN through the Trainer with train.py's default settings (CSV logger, progress bar,
last-checkpoint and sample callbacks; for the ring, its data on the device and up to
steps_per_batch generator iterations per Lightning batch). The rate is measured between the
first Lightning batch that ends at or after the warm-up and the last iteration, so checkpoint
and sample writes at the end of training are not counted. Rows run in turn, repeat after
repeat, so that a change in the machine's load reaches every row alike; each rate is given
in wall-clock time and in the process's CPU time (less sensitive to other jobs on the machine).
(b) runs once more on the other data path: through a DataLoader (`litgan loader`) where the
config holds its data on the device, else with data.on_device=true (`litgan on_device`): the
whole data set on the training device and batches drawn there; the `vs loader` column is the
on-device rate over the DataLoader's.
With --switches, (b) also runs with bf16-mixed, compile=true, channels_last=true and
steps_per_batch=1 (one generator iteration per Lightning batch).
--only runs just the named rows of (b), switches included (the plain loop always runs): bf16 on
a CPU is ~20x slower, so it gets its own, shorter invocation.

--paired measures litgan's rate over the plain loop's steadily enough to judge a target like
0.97 (issue #33), on one core (`--core`, default the last one this process may use) and one
torch thread for both, in pairs: each repeat runs the plain loop and litgan (defaults) over the
same generator iterations, in alternating order, and gives one ratio; the result is the median
of the pairs' ratios with their spread (quartiles, min-max, and the 95% confidence interval of
the median from the order statistics), in wall-clock and in CPU time. A first pair warms the
process and sets the measured window (from litgan's first Lightning batch end at or after
--warmup to --iterations); it is not counted.

    python benchmarks/train_throughput.py --paired --configs mlp_ring [--iterations 500]
        [--warmup 100] [--repeats 31] [--core N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from litgan.config.checks import lightning_max_steps
from litgan.config.compose import compose
from litgan.gan.players import frozen, grad_norm, lr_factor
from litgan.run.fit import build
from litgan.run.torch_setup import set_up_host

# name: (overrides that make `python train.py` run it, batch size)
CONFIGS = {
    "dcgan32x1": (["model=dcgan", "data=digits", "data.image_size=32", "data.channels=1"], 64),
    "dcgan64x3": (["model=dcgan", "data=digits", "data.image_size=64", "data.channels=3"], 64),
    "mlp_ring": (["model=mlp", "data=ring"], 256),
}


def machine() -> dict[str, object]:
    """What a measurement ran on, for the JSON beside its numbers."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "lightning": pl.__version__,
    }


def compose_run(name: str, out: str, extra: list[str]):
    """The config `python train.py` composes for this benchmark case."""
    overrides, batch = CONFIGS[name]
    return compose(
        [
            *overrides,
            f"data.batch_size={batch}",
            "trainer.accelerator=cpu",
            "metrics=none",
            f"paths.root_dir={out}",
            f"paths.output_dir={out}",
            *extra,
        ]
    )


def players(
    cfg: DictConfig, data_shape: Sequence[int]
) -> tuple[nn.Module, nn.Module, Optimizer, Optimizer]:
    """G, D and their optimizers as `cfg` describes them, built without litgan's GAN."""
    g = instantiate(cfg.model.generator, data_shape=list(data_shape), _convert_="all")
    d = instantiate(cfg.model.discriminator, data_shape=list(data_shape), _convert_="all")
    opt_g = instantiate(cfg.optim.generator, _convert_="all")(g.parameters())
    opt_d = instantiate(cfg.optim.discriminator, _convert_="all")(d.parameters())
    return g, d, opt_g, opt_d


def plain_loop(
    name: str,
    iterations: int,
    warmup: int,
    profiler: cProfile.Profile | None = None,
    cpu_rates: list[float] | None = None,
    lrs: list[tuple[float, float]] | None = None,
) -> float:
    """(a): the loop one would write by hand; returns generator iterations per second.

    A `profiler` records the measured iterations (benchmarks/profile_loop.py); `cpu_rates`
    gets the rate in CPU time appended; `lrs` G's and D's learning rates after each iteration
    (tests/test_benchmarks.py: the schedule is litgan's)."""
    with tempfile.TemporaryDirectory() as out:
        cfg = compose_run(name, out, [])
    # The host as a run sets it up (litgan.run.fit.build): without it, every Adam step would
    # pay Lightning's NVML CUDA check, until litgan's first run in this process drops it.
    set_up_host(cfg.model.get("cpu_threads"))
    torch.manual_seed(0)
    data = instantiate(cfg.data)
    data.setup()
    real_data, shape, batch = data.samples, data.shape, cfg.data.batch_size
    g, d, opt_g, opt_d = players(cfg, shape)
    game = instantiate(cfg.loss)
    # litgan's schedule (model.lr_decay): constant, then linearly to 0 over the last fraction.
    decay = cfg.model.lr_decay
    schedulers = [
        LambdaLR(opt, lambda t: lr_factor(t, iterations, decay)) for opt in (opt_g, opt_d) if decay
    ]
    order = torch.randperm(len(real_data))
    log_every = cfg.trainer.log_every_n_steps
    logged: list[dict[str, torch.Tensor]] = []
    start = cpu_start = 0.0
    for it in range(iterations):
        if it == warmup:
            start, cpu_start = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
        index = order[(it * batch) % (len(order) - batch) :][:batch]
        real = real_data[index]
        with torch.no_grad():
            fake = g(torch.randn(batch, g.nz))
        real_logits, fake_logits = d(real), d(fake)
        terms = game.value_terms(real_logits, fake_logits)
        d_loss = game.discriminator_loss(terms)
        d_loss.backward()
        d_norm = grad_norm(d.parameters())
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)
        with frozen(d):
            g_loss = game.generator_loss(d(g(torch.randn(batch, g.nz))))
            g_loss.backward()
        g_norm = grad_norm(g.parameters())
        opt_g.step()
        opt_g.zero_grad(set_to_none=True)
        for scheduler in schedulers:
            scheduler.step()
        if lrs is not None:
            lrs.append((opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]))
        if (it + 1) % log_every == 0 or it == iterations - 1:
            logged.append(
                {
                    "value_real": terms.real.detach(),
                    "value_fake": terms.fake.detach(),
                    "value": terms.value.detach(),
                    "d_real": torch.sigmoid(real_logits).mean().detach(),
                    "d_fake": torch.sigmoid(fake_logits).mean().detach(),
                    "d_loss": d_loss.detach(),
                    "g_loss": g_loss.detach(),
                    "d_grad_norm": d_norm,
                    "g_grad_norm": g_norm,
                }
            )
    float(logged[-1]["value"])  # wait for the last step, as a logger would
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if profiler is not None:
        profiler.disable()
    if cpu_rates is not None:
        cpu_rates.append((iterations - warmup) / cpu)
    return (iterations - warmup) / elapsed


class _IterationClock(pl.Callback):
    """(generator iteration, wall time, CPU time) at the start of training and at the end of
    every Lightning batch. The rate is measured over `window`: from the first batch end at or
    after `warmup` iterations to the last one, or, where that first one is the last (a tiny run
    of a script check), from the stamp before it. A `profiler` records the same iterations."""

    def __init__(
        self, warmup: int, iterations: int, profiler: cProfile.Profile | None = None
    ) -> None:
        self.stamps: list[tuple[int, float, float]] = []
        self.warmup, self.iterations, self.profiler = warmup, iterations, profiler

    def on_train_start(self, trainer, pl_module) -> None:
        self.stamps.append((pl_module.g_steps, time.perf_counter(), time.process_time()))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        g_step = pl_module.g_steps
        self.stamps.append((g_step, time.perf_counter(), time.process_time()))
        if self.profiler is None:
            return
        if g_step == self.iterations:
            self.profiler.disable()
        elif g_step >= self.warmup and self.stamps[-2][0] < self.warmup:
            self.profiler.enable()

    @property
    def window(self) -> list[tuple[int, float, float]]:
        """The stamps the rate is measured between."""
        first = next(i for i, (g, _, _) in enumerate(self.stamps) if g >= self.warmup)
        return self.stamps[min(first, len(self.stamps) - 2) :]

    @property
    def measured(self) -> int:
        """Generator iterations between the window's first stamp and its last."""
        return self.window[-1][0] - self.window[0][0]


def litgan_run(
    name: str,
    iterations: int,
    warmup: int,
    overrides: list[str],
    profiler: cProfile.Profile | None = None,
    cpu_rates: list[float] | None = None,
) -> float:
    """(b): litgan's GAN through the Trainer, configured as `python train.py` would; returns
    generator iterations per second (`cpu_rates` gets the rate in CPU time appended)."""
    clock = litgan_clock(name, iterations, warmup, overrides, profiler)
    (_, wall0, cpu0), (_, wall1, cpu1) = clock.window[0], clock.window[-1]
    if cpu_rates is not None:
        cpu_rates.append(clock.measured / (cpu1 - cpu0))
    return clock.measured / (wall1 - wall0)


def litgan_clock(
    name: str,
    iterations: int,
    warmup: int,
    overrides: list[str],
    profiler: cProfile.Profile | None = None,
) -> _IterationClock:
    """Runs (b) and returns its clock, stamped at the end of every measured batch."""
    with tempfile.TemporaryDirectory() as out:
        cfg = compose_run(name, out, [f"trainer.max_steps={iterations}", *overrides])
        data, gan = build(cfg)  # as a run builds them: seeded with cfg.seed (0)
        clock = _IterationClock(warmup, iterations, profiler)
        # The clock first: at a batch end where a sample picture or a checkpoint is due (a run
        # of sample_every iterations), it stamps before they start, so the window holds the
        # loop's iterations and not that one-off work.
        callbacks = [clock] + [instantiate(c) for c in cfg.callbacks.values() if c]
        trainer = instantiate(
            cfg.trainer,
            max_steps=lightning_max_steps(iterations, 1),
            logger=[CSVLogger(out, name="", version="")],
            callbacks=callbacks,
            enable_model_summary=False,
        )
        trainer.fit(gan, datamodule=data)
    return clock


def litgan_cpu(
    name: str, iterations: int, warmup: int, overrides: list[str], cpu_rates: list[float]
) -> float:
    return litgan_run(name, iterations, warmup, overrides, cpu_rates=cpu_rates)


def other_data_path(name: str) -> dict[str, list[str]]:
    """The litgan row with the data path this config does not use by default: the DataLoader
    (`litgan loader`) for data on the device, else data.on_device=true (`litgan on_device`)."""
    with tempfile.TemporaryDirectory() as out:
        on_device = compose_run(name, out, []).data.get("on_device", False)
    # ++: the key is in every in-memory data config, and this also runs where it is not yet.
    if on_device:
        return {"litgan loader": ["++data.on_device=false"]}
    return {"litgan on_device": ["++data.on_device=true"]}


def summarise(wall: list[float], cpu: list[float]) -> dict[str, float]:
    """Median, min and max of the wall-clock rates, median of the CPU-time ones."""
    return {
        "median": statistics.median(wall),
        "min": min(wall),
        "max": max(wall),
        "cpu_median": statistics.median(cpu),
        "wall": wall,
        "cpu": cpu,
    }


def pin_one_core(core: int | None = None) -> int | None:
    """Pin this process to one CPU core (the last one it may use by default) and torch to one
    thread, so that both loops run on the same core, never migrated; None where the OS cannot
    pin (then only the thread count is set)."""
    torch.set_num_threads(1)
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0)) if core is None else core
    os.sched_setaffinity(0, {core})
    return core


def median_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval of the median: the k-th smallest and k-th largest
    value, k the largest with P(Binomial(n, 1/2) < k) <= (1 - level) / 2 (all of them when n is
    too small for the level)."""
    ordered, n = sorted(values), len(values)
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2**n <= (1 - level) / 2:
        below += math.comb(n, k) / 2**n
        k += 1
    return (ordered[0], ordered[-1]) if k == 0 else (ordered[k - 1], ordered[n - k])


def spread(values: Sequence[float]) -> dict[str, object]:
    """Median, quartiles, min-max and the median's 95% interval of a list of ratios."""
    many = len(values) > 1
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if many else values * 3
    return {
        "median": statistics.median(values),
        "q1": q1,
        "q3": q3,
        "min": min(values),
        "max": max(values),
        "ci95": median_interval(values),
        "n": len(values),
        "values": list(values),
    }


def paired(name: str, iterations: int, warmup: int, repeats: int) -> dict[str, object]:
    """litgan's rate over the plain loop's, one ratio per pair of runs over the same iterations
    (wall-clock and CPU time), the pairs' order alternating; the first pair is not counted."""
    window = warmup
    rates: dict[str, list[float]] = {k: [] for k in ("plain", "litgan", "plain_cpu", "litgan_cpu")}
    for repeat in range(repeats + 1):
        pair: dict[str, float] = {}
        for side in ("plain", "litgan") if repeat % 2 else ("litgan", "plain"):
            gc.collect()  # each side starts from a collected heap, not the other's garbage
            cpu: list[float] = []
            if side == "plain":
                pair["plain"] = plain_loop(name, iterations, window, None, cpu)
            else:
                clock = litgan_clock(name, iterations, warmup, [])
                (start, wall0, cpu0), (_, wall1, cpu1) = clock.window[0], clock.window[-1]
                pair["litgan"] = clock.measured / (wall1 - wall0)
                cpu.append(clock.measured / (cpu1 - cpu0))
                window = start  # the plain loop measures the iterations litgan's clock does
            pair[f"{side}_cpu"] = cpu[0]
        if repeat:  # the first pair warms the process and finds the window
            for key, rate in pair.items():
                rates[key].append(rate)
    ratio = [lg / pl for lg, pl in zip(rates["litgan"], rates["plain"], strict=True)]
    ratio_cpu = [lg / pl for lg, pl in zip(rates["litgan_cpu"], rates["plain_cpu"], strict=True)]
    return {
        "window": [window, iterations],
        "ratio": spread(ratio),
        "ratio_cpu": spread(ratio_cpu),
        "plain_it_s": spread(rates["plain"]),
        "litgan_it_s": spread(rates["litgan"]),
    }


def print_paired(name: str, result: dict) -> None:
    """One line per measure: the median with its spread."""
    lo, hi = result["window"]
    print(f"{name}: iterations {lo}-{hi} of each run, {result['ratio']['n']} pairs")
    for key, label in (
        ("ratio", "litgan / plain (wall)"),
        ("ratio_cpu", "litgan / plain (CPU)"),
        ("plain_it_s", "plain loop it/s"),
        ("litgan_it_s", "litgan it/s"),
    ):
        s = result[key]
        print(
            f"  {label:<22} median {s['median']:8.3f}  95% CI {s['ci95'][0]:.3f}-{s['ci95'][1]:.3f}"
            f"  quartiles {s['q1']:.3f}-{s['q3']:.3f}  min-max {s['min']:.3f}-{s['max']:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, help="default 30 (--paired: 500)")
    parser.add_argument("--warmup", type=int, help="default 5 (--paired: 100)")
    parser.add_argument("--repeats", type=int, help="default 5 (--paired: 31)")
    parser.add_argument("--paired", action="store_true", help="the steady ratio, on one core")
    parser.add_argument("--core", type=int, help="--paired: the CPU core to pin to")
    parser.add_argument("--configs", default="dcgan32x1,dcgan64x3,mlp_ring")
    parser.add_argument("--switches", action="store_true", help="also bf16, compile, channels_last")
    parser.add_argument("--only", help="comma-separated litgan rows, e.g. 'litgan bf16-mixed'")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/train_throughput.json"))
    args = parser.parse_args()
    for key, usual, paired_default in (
        ("iterations", 30, 500),
        ("warmup", 5, 100),
        ("repeats", 5, 31),
    ):
        if getattr(args, key) is None:
            setattr(args, key, paired_default if args.paired else usual)
    if args.paired:
        core = pin_one_core(args.core)
        settings = vars(args) | {"out": str(args.out)}
        results = {"machine": machine() | {"core": core}, "settings": settings, "runs": {}}
        for name in args.configs.split(","):
            results["runs"][name] = paired(name, args.iterations, args.warmup, args.repeats)
            print_paired(name, results["runs"][name])
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.out}")
        return

    switches = {
        "litgan bf16-mixed": ["trainer.precision=bf16-mixed"],
        "litgan compile": ["compile=true"],
        "litgan channels_last": ["channels_last=true"],
        "litgan steps_per_batch=1": ["steps_per_batch=1"],
    }
    results = {
        "machine": machine(),
        "settings": vars(args) | {"out": str(args.out)},
        "runs": {},
    }
    print(
        f"{'config':<11} {'run':<26} {'it/s (median)':>14} {'min':>8} {'max':>8} {'b/a':>6} "
        f"{'cpu it/s':>9} {'cpu b/a':>7} {'vs loader':>9}"
    )
    for name in args.configs.split(","):
        variants = {"litgan": []} | other_data_path(name)
        if args.only:
            every = variants | switches
            keep = args.only.split(",")
            if unknown := set(keep) - set(every):
                parser.error(f"--only: unknown rows {sorted(unknown)}; choose from {sorted(every)}")
            variants = {label: every[label] for label in keep}
        elif args.switches:
            variants |= switches
        runs = {"plain loop": partial(plain_loop, name, args.iterations, args.warmup, None)}
        for label, overrides in variants.items():
            runs[label] = partial(litgan_cpu, name, args.iterations, args.warmup, overrides)
        wall: dict[str, list[float]] = {label: [] for label in runs}
        cpu: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(args.repeats):  # in turn: a change of load reaches every row alike
            for label, run in runs.items():
                wall[label].append(run(cpu[label]))
        rows = {label: summarise(wall[label], cpu[label]) for label in runs}
        if "litgan loader" in rows:
            rows["litgan"]["ratio_to_loader"] = (
                rows["litgan"]["median"] / rows["litgan loader"]["median"]
            )
        if "litgan on_device" in rows and "litgan" in rows:
            rows["litgan on_device"]["ratio_to_loader"] = (
                rows["litgan on_device"]["median"] / rows["litgan"]["median"]
            )
        plain = rows["plain loop"]
        for label, rate in rows.items():
            rate["ratio_to_plain"] = rate["median"] / plain["median"]
            rate["cpu_ratio_to_plain"] = rate["cpu_median"] / plain["cpu_median"]
            vs_loader = f"{rate['ratio_to_loader']:>9.3f}" if "ratio_to_loader" in rate else ""
            print(
                f"{name:<11} {label:<26} {rate['median']:>14.3f} {rate['min']:>8.3f} "
                f"{rate['max']:>8.3f} {rate['ratio_to_plain']:>6.3f} {rate['cpu_median']:>9.3f} "
                f"{rate['cpu_ratio_to_plain']:>7.3f} {vs_loader}".rstrip()
            )
        results["runs"][name] = rows
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
