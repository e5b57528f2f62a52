"""litgan: GAN experiments with PyTorch Lightning and Hydra that make the value function visible.

The packages are layers; each imports only from those below it (checked by import-linter,
`[tool.importlinter]` in pyproject.toml):

    cli        the commands: litgan-train (train.py), litgan-fid, litgan-sample, litgan-report,
               litgan-dynamics
    experiment training from Python: run(*overrides) -> summary, run directory, metrics table;
               build(*overrides) -> data, GAN; load(checkpoint) -> trained GAN
    run        one training run: fit, run directory, checkpoints, signals, loggers, summary
    pictures   plots of a run's metrics, pictures of G's samples and D's surface
    dynamics   the game's gradient field: its Jacobian's eigenvalues, an update's spectral radius
    gan        the LightningModule: D's step and G's step, the update scheme, noise, schedule,
               validation
    metrics | data | networks | records
               evaluation (FID, modes), LightningDataModules, G and D, metrics.csv read/written
    game | config
               the games' math (losses, value, optimum, penalties, augmentation); the typed
               config schema, its composition and its cross-key checks
    lightning_internals | hydra_internals
               every use of Lightning's private API; of Hydra's (its error text, its state)
    errors     litgan's exceptions
"""
