"""Train a GAN: `python train.py [group=option ...] [key=value ...]` (see README.md)."""

import signal
import sys

try:
    from litgan.cli.train import main
except KeyboardInterrupt:  # Ctrl-C while the imports run, before main() takes over signals
    print("litgan: stopped by SIGINT while starting, before anything was written", file=sys.stderr)
    sys.exit(128 + signal.SIGINT)

if __name__ == "__main__":
    main()
