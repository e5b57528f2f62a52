"""Train a GAN: `python train.py [group=option ...] [key=value ...]` (see README.md)."""

from litgan.cli.train import main

if __name__ == "__main__":
    main()
