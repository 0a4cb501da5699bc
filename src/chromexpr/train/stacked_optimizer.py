"""SGD (Torch7 decay, momentum, weight decay) and Adam over K models stacked along a leading axis.

The side-by-side engine (``chromexpr.train.stacked``) keeps the K models' parameters as tensors
[K, ...]; this optimiser updates each model exactly as ``torch.optim.SGD`` / ``torch.optim.Adam``
(after ``clip_grad_norm_`` where ``grad_clip`` is set) update it alone, with its own
hyperparameters, step count and state, and leaves a model that takes no step untouched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from chromexpr.errors import TrainingError
from chromexpr.train.settings import TrainingSettings

# torch.optim.Adam's defaults, which make_optimizer keeps.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
# torch.nn.utils.clip_grad_norm_'s guard against a zero norm.
CLIP_EPS = 1e-6


class StackedOptimizer:
    """SGD (Torch7 lr decay, momentum, weight decay) or Adam over K stacked models, per model.

    ``params`` map names to tensors [K, ...]; every hyperparameter is a tensor [K]. ``step``
    updates only the models whose ``active`` entry is true, exactly as ``torch.optim.SGD`` /
    ``torch.optim.Adam`` (after ``clip_grad_norm_`` where ``grad_clip`` is set) update one model.
    """

    def __init__(
        self,
        params: dict[str, torch.Tensor],
        settings: Sequence[TrainingSettings],
        device: torch.device,
    ) -> None:
        optimizers = {s.optimizer for s in settings}
        if len(optimizers) != 1:
            raise TrainingError(
                f"side-by-side training needs one optimizer for every model; got {optimizers}"
            )
        self.kind = optimizers.pop()
        self.params = params

        def column(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
            return torch.tensor(values, dtype=dtype, device=device)

        self.learning_rate = column([s.learning_rate for s in settings])
        self.lr_decay = column([s.lr_decay for s in settings])
        self.momentum = column([s.momentum for s in settings], torch.float32)
        self.weight_decay = column([s.weight_decay for s in settings], torch.float32)
        clips = [s.grad_clip for s in settings]
        self.clip = column([math.inf if c is None else c for c in clips], torch.float32)
        self.clipping = column([c is not None for c in clips], torch.bool)
        self.any_clipping = any(c is not None for c in clips)
        self.any_weight_decay = any(s.weight_decay for s in settings)
        self.any_momentum = any(s.momentum for s in settings)
        # Plain SGD (the published recipe): the update is -lr * gradient, which the stacked
        # linear layers apply in their backward pass without storing the gradient.
        self.fusable = (
            self.kind == "sgd"
            and not self.any_momentum
            and not self.any_weight_decay
            and not self.any_clipping
        )
        # Steps each model has taken: its decay's t and Adam's bias-correction step.
        self.steps = torch.zeros(len(settings), dtype=torch.float64, device=device)
        zeros = {name: torch.zeros_like(value) for name, value in params.items()}
        if self.kind == "adam":
            self.exp_avg = zeros
            self.exp_avg_sq = {name: torch.zeros_like(value) for name, value in params.items()}
        elif self.any_momentum:
            self.buffer = zeros

    def state_dict(self) -> dict[str, torch.Tensor | dict[str, torch.Tensor]]:
        """Each model's step count and moment or momentum buffers (the hyperparameters come
        from the settings)."""
        return {"steps": self.steps, **dict(zip(self._moments(), self._state()[1:], strict=True))}

    def load_state_dict(self, state: dict[str, torch.Tensor | dict[str, torch.Tensor]]) -> None:
        """Take the state ``state_dict`` returned, in place."""
        self.steps.copy_(state["steps"])
        for name, part in zip(self._moments(), self._state()[1:], strict=True):
            for key, value in part.items():
                value.copy_(state[name][key])

    def _moments(self) -> list[str]:
        if self.kind == "adam":
            return ["exp_avg", "exp_avg_sq"]
        return ["buffer"] if self.any_momentum else []

    def rate(self, active: torch.Tensor) -> torch.Tensor:
        """This step's plain-SGD rate [K] float32: the decayed learning rate, 0 where idle."""
        lr = self.learning_rate / (1 + self.steps * self.lr_decay)
        return (lr * active.to(torch.float64)).to(torch.float32)

    def step(self, grads: dict[str, torch.Tensor], active: torch.Tensor, idle: list[int]) -> None:
        """One optimiser step of the ``active`` [K] models with their gradients [K, ...].

        ``idle`` lists the models that take no step (``~active``, as Python ints): their
        parameters and optimiser state are put back after the update, which runs on all K.
        Parameters missing from ``grads`` were already updated (fused plain SGD, see ``rate``).
        """
        with torch.no_grad():
            saved = self._save(idle)
            if self.any_clipping:
                grads = self._clip(grads)
            lr = self.learning_rate / (1 + self.steps * self.lr_decay)
            if self.kind == "adam":
                self._adam(grads, lr)
            else:
                self._sgd(grads, lr.to(torch.float32))
            self.steps += active.to(torch.float64)
            self._restore(idle, saved)

    def _state(self) -> list[dict[str, torch.Tensor]]:
        if self.kind == "adam":
            return [self.params, self.exp_avg, self.exp_avg_sq]
        return [self.params, self.buffer] if self.any_momentum else [self.params]

    def _save(self, idle: list[int]) -> list[dict[str, torch.Tensor]]:
        if not idle:
            return []
        return [
            {name: value[idle].clone() for name, value in part.items()} for part in self._state()
        ]

    def _restore(self, idle: list[int], saved: list[dict[str, torch.Tensor]]) -> None:
        if not idle:
            return
        for part, copies in zip(self._state(), saved, strict=True):
            for name, value in part.items():
                value[idle] = copies[name]

    def _clip(self, grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        norms = torch.stack(
            [torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads.values()], dim=1
        )
        total = torch.linalg.vector_norm(norms, dim=1)
        coefficient = torch.clamp(self.clip / (total + CLIP_EPS), max=1.0)
        coefficient = torch.where(self.clipping, coefficient, torch.ones_like(coefficient))
        return {name: g * _expand(coefficient, g) for name, g in grads.items()}

    def _sgd(self, grads: dict[str, torch.Tensor], lr: torch.Tensor) -> None:
        for name, param in self.params.items():
            if name not in grads:
                continue
            update = grads[name]
            if self.any_weight_decay:
                update = update.addcmul(_expand(self.weight_decay, param), param)
            if self.any_momentum:
                # torch starts the buffer at the first gradient: momentum * 0 + g is that.
                buffer = self.buffer[name]
                buffer.mul_(_expand(self.momentum, buffer)).add_(update)
                update = buffer
            # As [K, n]: a [K, 1] factor broadcasts far faster than a [K, 1, 1, ...] one.
            param.view(len(lr), -1).addcmul_(update.reshape(len(lr), -1), -lr[:, None])

    def _adam(self, grads: dict[str, torch.Tensor], lr: torch.Tensor) -> None:
        beta1, beta2 = ADAM_BETAS
        step = self.steps + 1
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = torch.sqrt(1 - beta2**step)
        step_size = (lr / bias_correction1).to(torch.float32)
        root = bias_correction2_sqrt.to(torch.float32)
        for name, param in self.params.items():
            g = grads[name]
            if self.any_weight_decay:
                g = g.addcmul(_expand(self.weight_decay, param), param)
            exp_avg, exp_avg_sq = self.exp_avg[name], self.exp_avg_sq[name]
            exp_avg.lerp_(g, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = exp_avg_sq.sqrt().div_(_expand(root, param)).add_(ADAM_EPS)
            param.sub_(exp_avg.div(denom).mul_(_expand(step_size, param)))


def _expand(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values`` [K] viewed as [K, 1, ...] to broadcast against ``like`` [K, ...]."""
    return values.view(-1, *([1] * (like.dim() - 1)))
