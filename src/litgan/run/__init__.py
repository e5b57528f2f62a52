"""One training run around the GAN: fit (`fit`), its directory, checkpoints, signals, loggers,
progress bar, callbacks and summary."""
