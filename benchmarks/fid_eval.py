"""Time one FID evaluation on the digits, with and without cached real statistics.

    python benchmarks/fid_eval.py [--num-samples 500] [--batch-size 50] [--weights PATH]
        [--device cuda] [--feature-layer 2048] [--json FILE]

Phases: loading Inception (and hashing its weights for the cache key); the real statistics,
computed (cache miss) or read (cache hit); one validation: generating the samples with an
untrained DCGAN (as fast as a trained one), their Inception features and the Fréchet distance.
Results go in benchmarks/RESULTS.md with the machine, the date and the command; --json also
writes the times to a file (benchmarks/gpu_check.sh reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from litgan.data import DigitsDataModule
from litgan.gan import GAN
from litgan.metrics.evaluator import Evaluator, real_reference
from litgan.metrics.features import InceptionFeatures
from litgan.metrics.inception import fid_helper_model_path, resolve_weights

ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 2e-4}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def validate(evaluator: Evaluator, gan: GAN) -> dict[str, float]:
    """What GAN's validation loop does: generate from the fixed noise, embed, score."""
    for z in gan.fixed_noise(evaluator.num_samples).split(evaluator.batch_size):
        evaluator.update(gan.generate(z))
    return evaluator.compute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--weights", help="Inception weights (default: hub cache or conversion)")
    parser.add_argument("--device", default="cpu", help="where G and Inception run, e.g. cuda")
    parser.add_argument(
        "--feature-layer",
        default="2048",
        choices=["64", "192", "768", "2048"],
        help="Inception features (2048: FID's; gpu_check.sh --cpu takes 64, whose covariance "
        "square root is not 5 s of CPU)",
    )
    parser.add_argument("--json", type=Path, help="also write the times to this file")
    args = parser.parse_args()

    data = DigitsDataModule(image_size=32, channels=1, batch_size=64)
    data.setup()
    gan = GAN(
        data_shape=data.shape,
        model={
            "generator": {"_target_": "litgan.networks.DCGANGenerator", "nz": 100, "ngf": 64},
            "discriminator": {"_target_": "litgan.networks.DCGANDiscriminator", "ndf": 64},
        },
        loss={"_target_": "litgan.game.games.NonSaturating"},
        optim={"generator": ADAM, "discriminator": ADAM},
    ).to(args.device)
    weights = resolve_weights(args.weights, fid_helper=fid_helper_model_path())
    space, t_load = timed(lambda: InceptionFeatures(weights, args.feature_layer).to(args.device))
    n, batch = args.num_samples, args.batch_size

    with tempfile.TemporaryDirectory() as cache:
        kwargs = {"cache_dir": Path(cache), "keep_features": False}
        dataset = data.real_dataset()
        reference, t_miss = timed(
            real_reference, dataset, "digits", "train", space, n, batch, **kwargs
        )
        _, t_hit = timed(real_reference, dataset, "digits", "train", space, n, batch, **kwargs)
    evaluator = Evaluator(space, reference, n, batch)
    results, t_val = timed(validate, evaluator, gan)

    gpu = torch.cuda.get_device_name() if torch.device(args.device).type == "cuda" else None
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {gpu or 'cpu'}"
    )
    print(
        f"samples: {n} generated, {reference.settings['num_real']} real; batch {batch}; "
        f"{args.feature_layer} Inception features"
    )
    print(f"load Inception + hash weights   {t_load:8.1f} s")
    print(f"real statistics, computed       {t_miss:8.1f} s")
    print(f"real statistics, from cache     {t_hit:8.2f} s")
    print(f"one validation (generate+embed) {t_val:8.1f} s   val/fid {results['val/fid']:.1f}")
    print(f"evaluation without cache        {t_load + t_miss + t_val:8.1f} s")
    print(f"evaluation with cache           {t_load + t_hit + t_val:8.1f} s")
    print(f"Inception throughput            {n / t_val:8.1f} images/s")
    if args.json:
        times = {
            "num_samples": n,
            "num_real": reference.settings["num_real"],
            "batch_size": batch,
            "feature_layer": args.feature_layer,
            "load_s": t_load,
            "real_stats_computed_s": t_miss,
            "real_stats_cached_s": t_hit,
            "validation_s": t_val,
            "without_cache_s": t_load + t_miss + t_val,
            "with_cache_s": t_load + t_hit + t_val,
            "images_per_s": n / t_val,
            "val_fid": results["val/fid"],
        }
        args.json.write_text(json.dumps({"device": gpu or "cpu", **times}, indent=2) + "\n")


if __name__ == "__main__":
    main()
