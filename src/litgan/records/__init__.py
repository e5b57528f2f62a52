"""A run's records on disk: metrics.csv written (`metrics_csv`) and read back with summary.json
and the overrides (`history`)."""
