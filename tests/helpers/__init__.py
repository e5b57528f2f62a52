"""Helpers shared by the tests: running train.py, tiny GANs, data sets written to disk."""
