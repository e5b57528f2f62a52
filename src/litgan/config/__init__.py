"""Configuration: the typed structured-config schema of conf/ (`schema`) and the checks of rules
across keys that run before anything is written (`checks`)."""
