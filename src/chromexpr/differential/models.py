"""The differential models (``chromexpr.differential.registry``) as one kind of module.

Every pair model reads both cells' raw counts ``[batch, 2 (A, B), marks, bins]`` and returns
``[batch, outputs]`` whose first column is the predicted log2 fold change of B over A; its
``loss_of_outputs(outputs, targets)`` is its training loss against the targets ``[batch, 3]``
(fold change, log2 expression of A, of B: ``chromexpr.differential.pairs``). Each applies its
own input transform, so a bundle needs nothing else to be applied to two datasets:

- ``DeepDiffPair``: DeepDiff on the transformed counts; its outputs are the fold change, the
  two auxiliary predictions and the two siamese embeddings, which its loss (the authors') reads;
- ``StackedPair``: a zoo model built for ``2 x marks`` marks on A's marks then B's;
- ``MarkDifferencePair``: a zoo model on ``log(1 + B) - log(1 + A)`` per mark and bin (the
  log fold change of the marks, whatever ``input_transform`` says);
- ``DifferencePair``: two trained single-cell regression models (predicting
  ``log(expression + 1)``), ``(model_B(B) - model_A(A)) / ln 2``: exactly the log2 fold change
  with pseudocount 1 when both are right.

The other losses are the mean squared error of the fold change. Zoo capabilities
(``fits_input_statistics``, ``fits_without_gradients``, ``attention``) pass through.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from chromexpr.differential.registry import (
    DEEPDIFF,
    DIFFERENCE,
    MARK_MODELS,
    STACKED_PREFIX,
    check_differential_model,
    zoo_model,
)
from chromexpr.models import build_model, capabilities, count_parameters


def transformed(counts: torch.Tensor, input_transform: str) -> torch.Tensor:
    """Model input from counts: as they are (``raw``) or ``log1p``."""
    if input_transform == "log1p":
        return torch.log1p(counts)
    if input_transform != "raw":
        raise ValueError(f"unknown input transform {input_transform!r}; known: raw, log1p")
    return counts


class PairModel(nn.Module):
    """Base of the pair models: one output, the predicted fold change, fitted by squared error."""

    has_attention = False

    def loss_of_outputs(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(outputs[:, 0], targets[:, 0].to(outputs.dtype))

    def fit_input_statistics(self, pairs: torch.Tensor) -> None:
        """Nothing to fit unless the wrapped zoo model fits statistics."""

    def n_fitted_values(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())


class DeepDiffPair(PairModel):
    """DeepDiff; outputs [batch, 3 + 2 x embedding]: fold change, log2 expression of A, of B, then
    the siamese embeddings of A and of B."""

    has_attention = True

    def __init__(
        self, n_marks: int, n_bins: int, input_transform: str = "raw", **hyperparameters: Any
    ) -> None:
        super().__init__()
        from chromexpr.models.deepdiff import DeepDiff

        self.input_transform = input_transform
        self.deepdiff = DeepDiff(n_marks=n_marks, n_bins=n_bins, **hyperparameters)

    def _pair(self, pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = transformed(pairs, self.input_transform)
        return inputs[:, 0], inputs[:, 1]

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        outputs = self.deepdiff(*self._pair(pairs))
        predictions = torch.stack([outputs["difference"], outputs["a"], outputs["b"]], dim=1)
        return torch.cat([predictions, outputs["embedding_a"], outputs["embedding_b"]], dim=1)

    def loss_of_outputs(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        embedding_a, embedding_b = outputs[:, 3:].chunk(2, dim=1)
        named = {
            "difference": outputs[:, 0],
            "a": outputs[:, 1],
            "b": outputs[:, 2],
            "embedding_a": embedding_a,
            "embedding_b": embedding_b,
        }
        targets = targets.to(outputs.dtype)
        return self.deepdiff.loss(named, targets[:, 0], targets[:, 1], targets[:, 2])

    def attention(self, pairs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The difference branch's weights: ``bins`` [batch, marks, bins], ``marks`` [batch,
        marks]."""
        return self.deepdiff.attention(*self._pair(pairs))


class ZooPair(PairModel):
    """A zoo model inside a pair model: capabilities pass through to it."""

    def __init__(self, zoo: str, model: nn.Module) -> None:
        super().__init__()
        self.zoo = zoo
        self.model = model
        self.has_attention = capabilities(zoo).has_attention

    def inputs(self, pairs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.model(self.inputs(pairs))

    def fit_input_statistics(self, pairs: torch.Tensor) -> None:
        if capabilities(self.zoo).fits_input_statistics:
            self.model.fit_input_statistics(self.inputs(pairs))

    def fit_without_gradients(
        self,
        train_pairs: torch.Tensor,
        train_targets: Any,
        valid_pairs: torch.Tensor,
        valid_targets: Any,
        task_name: str,
        seed: int,
    ) -> tuple[bool, str]:
        """The zoo model's fit on this pair model's inputs; its library's verdict on convergence."""
        return self.model.fit_without_gradients(
            self.inputs(train_pairs),
            train_targets,
            self.inputs(valid_pairs),
            valid_targets,
            task_name,
            seed,
        )

    def attention(self, pairs: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model.attention(self.inputs(pairs))

    def n_fitted_values(self) -> int:
        return count_parameters(self.model)


class StackedPair(ZooPair):
    """A zoo model of ``2 x marks`` marks on the stacked input: A's marks, then B's."""

    def __init__(
        self, zoo: str, n_marks: int, n_bins: int, input_transform: str = "raw", **hyperparameters
    ) -> None:
        super().__init__(zoo, build_model(zoo, 2 * n_marks, n_bins, n_outputs=1, **hyperparameters))
        self.input_transform = input_transform

    def inputs(self, pairs: torch.Tensor) -> torch.Tensor:
        return transformed(pairs, self.input_transform).flatten(1, 2)


class MarkDifferencePair(ZooPair):
    """A zoo model on ``log(1 + B) - log(1 + A)`` per mark and bin."""

    def __init__(self, zoo: str, n_marks: int, n_bins: int, **hyperparameters) -> None:
        super().__init__(zoo, build_model(zoo, n_marks, n_bins, n_outputs=1, **hyperparameters))

    def inputs(self, pairs: torch.Tensor) -> torch.Tensor:
        return torch.log1p(pairs[:, 1]) - torch.log1p(pairs[:, 0])


class DifferencePair(PairModel):
    """Two single-cell regression models of ``log(expression + 1)``:
    ``(model_b(B) - model_a(A)) / ln 2``. ``members``: each one's ``model`` (registry name),
    ``hyperparameters`` and ``input_transform``, under ``a`` and ``b``."""

    def __init__(self, n_marks: int, n_bins: int, members: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.members = members
        self.model_a, self.model_b = (
            build_model(members[side]["model"], n_marks, n_bins, **members[side]["hyperparameters"])
            for side in ("a", "b")
        )

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        log_a = self.model_a(transformed(pairs[:, 0], self.members["a"]["input_transform"]))
        log_b = self.model_b(transformed(pairs[:, 1], self.members["b"]["input_transform"]))
        return (log_b - log_a) / math.log(2)


def pair_hyperparameters(
    name: str, model_params: dict[str, Any], input_transform: str
) -> dict[str, Any]:
    """The keywords ``build_pair_model`` gets for ``name`` (recorded in its bundle): the
    configured ``model_params`` over the mark baselines' stated defaults
    (``registry.MARK_MODELS``), and ``input_transform`` for DeepDiff and stacked models (the
    mark baselines always difference log(1 + count))."""
    check_differential_model(name)
    if name in MARK_MODELS:
        return {**MARK_MODELS[name][1], **model_params}
    if name == DIFFERENCE:
        return dict(model_params)
    return {**model_params, "input_transform": input_transform}


def build_pair_model(name: str, n_marks: int, n_bins: int, **hyperparameters: Any) -> PairModel:
    """A fresh pair model (draws from torch's global generator: seed it first) with the
    keywords of ``pair_hyperparameters`` (``members`` for the difference of single-cell
    models: ``DifferencePair``)."""
    check_differential_model(name)
    if name == DEEPDIFF:
        return DeepDiffPair(n_marks, n_bins, **hyperparameters)
    if name == DIFFERENCE:
        return DifferencePair(n_marks, n_bins, **hyperparameters)
    if name.startswith(STACKED_PREFIX):
        return StackedPair(zoo_model(name), n_marks, n_bins, **hyperparameters)
    return MarkDifferencePair(zoo_model(name), n_marks, n_bins, **hyperparameters)
