"""The commands: `train` (python train.py, litgan-train), `fid`, `sample`, `report`; `checkpoint`
loads a trained GAN for them."""
