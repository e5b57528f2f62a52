"""litgan's Hydra launcher, `hydra/launcher=local` (conf/hydra/launcher/local.yaml).

Hydra loads launchers only from the `hydra_plugins` namespace, and imports every module in it
at each start: this package holds the launcher class alone, and imports litgan, joblib and torch
only when a sweep starts (`litgan.run.parallel` does the work).
"""
