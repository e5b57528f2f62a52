"""Operations on G and D that the training loop uses: freezing, eval mode, gradient norms and
the moving average of weights."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


@contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Turn off `requires_grad` on `module`'s parameters for the block, then restore each flag.

    G's loss is computed through D, so without this G's backward would also fill D's gradients.
    """
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)


def weights_dtype(module: nn.Module) -> torch.dtype:
    """The dtype of `module`'s weights, which its inputs must have (bf16 under bf16-true)."""
    return next(module.parameters()).dtype


@contextmanager
def evaluating(module: nn.Module) -> Iterator[None]:
    """Put `module` in eval mode (BatchNorm uses running statistics) for the block."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def optimized(optimizer: torch.optim.Optimizer) -> list[nn.Parameter]:
    """The parameters `optimizer` updates, in its order (that of the module it was made from)."""
    return [p for group in optimizer.param_groups for p in group["params"]]


def grad_norm(parameters: Iterable[nn.Parameter]) -> Tensor:
    """Global L2 norm of the gradients the parameters hold now (0 when none has one)."""
    grads = [p.grad.detach() for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    # All per-tensor norms in one call: on small networks a Python loop costs more than the math.
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * model, for every floating-point parameter and
    buffer (BatchNorm's running statistics too); other buffers (batch counters) are copied."""
    for mine, theirs in zip(
        average.state_dict().values(), model.state_dict().values(), strict=True
    ):
        if mine.is_floating_point():
            mine.lerp_(theirs, 1 - decay)
        else:
            mine.copy_(theirs)


def lr_factor(g_step: int, last_g_step: int, decay: float) -> float:
    """The learning-rate multiplier at generator iteration `g_step` of `last_g_step`: 1, then
    linearly down to 0 over the last `decay` fraction of training (model.lr_decay)."""
    start = last_g_step * (1 - decay)
    return 1.0 if g_step <= start else max(0.0, (last_g_step - g_step) / (last_g_step - start))
