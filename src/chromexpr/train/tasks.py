"""The prediction tasks: what a model is trained to output, and how it is scored.

A task owns its targets, its loss, its scores, the validation figure that selects the epoch and
the names of its columns, so the training loop, the tables and the writers never ask which task
they run:

==================  ==============================  =================================  ===========
task                target per gene                 loss                               selected by
==================  ==============================  =================================  ===========
``classification``  1 if expression >= the cell's    cross-entropy (two logits) or       valid AUC
                    median                          binary cross-entropy (one logit)
``regression``      log(expression + 1)             mean squared error (one output)     valid
                                                                                       Pearson r
==================  ==============================  =================================  ===========

Classification is scored by AUC on every split; regression by Pearson and Spearman correlation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import TrainingError
from chromexpr.evaluation import auc, correlations, probabilities_from_outputs


class Task:
    """Base of the tasks; subclasses fill in the class attributes and methods."""

    name: ClassVar[str]
    # Label of the selection figure in progress lines, and its history.tsv column.
    selection_label: ClassVar[str]
    selection_column: ClassVar[str]
    # Columns of predictions.tsv after gene_id: the target, the model's score.
    prediction_columns: ClassVar[tuple[str, str]]
    # The score's name in the predictions of a sample (``chromexpr.predict``).
    score_name: ClassVar[str]

    def n_outputs(self, model_params: dict[str, Any]) -> dict[str, Any]:
        """The model's hyperparameters with the output count this task needs."""
        return dict(model_params)

    def targets(self, dataset: CellDataset, split: str) -> np.ndarray:
        raise NotImplementedError

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        """The loss of outputs [..., n_outputs] against targets [...]: their mean, or one per
        sample with ``reduction="none"`` (the stacked engine weighs padded samples out)."""
        raise NotImplementedError

    def scores(self, outputs: torch.Tensor) -> np.ndarray:
        """One score per gene [genes] float64 from the model's outputs [genes, n_outputs]."""
        raise NotImplementedError

    def split_metrics(self, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        """The figures of one split, named without the split."""
        raise NotImplementedError

    def selection_score(self, targets: np.ndarray, scores: np.ndarray) -> float:
        """The validation figure the kept epoch maximises."""
        return self.split_metrics(targets, scores)[self.selection_column.removeprefix("valid_")]

    def metrics(self, targets: np.ndarray, scores: np.ndarray, split: str) -> dict[str, float]:
        """``{split}_{figure}`` for each figure of the split."""
        return {
            f"{split}_{key}": value for key, value in self.split_metrics(targets, scores).items()
        }

    def format_target(self, value: Any) -> str:
        raise NotImplementedError

    def check(self, dataset: CellDataset) -> None:
        """TrainingError unless every split of ``dataset`` can be scored."""
        raise NotImplementedError


class Classification(Task):
    name = "classification"
    selection_label = "AUC"
    selection_column = "valid_auc"
    prediction_columns = ("label", "probability")
    score_name = "p_high"

    def targets(self, dataset: CellDataset, split: str) -> np.ndarray:
        return dataset.labels[dataset.mask(split)].astype(np.int64)

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        if outputs.shape[-1] == 1:
            return F.binary_cross_entropy_with_logits(
                outputs[..., 0], targets.to(outputs.dtype), reduction=reduction
            )
        losses = F.cross_entropy(
            outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1), reduction=reduction
        )
        return losses.view(targets.shape) if reduction == "none" else losses

    def scores(self, outputs: torch.Tensor) -> np.ndarray:
        return probabilities_from_outputs(outputs)

    def split_metrics(self, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        return {"auc": auc(targets, scores)}

    def format_target(self, value: Any) -> str:
        return str(int(value))

    def check(self, dataset: CellDataset) -> None:
        # Both classes in every split, else the AUC is undefined.
        for split in SPLITS:
            labels = dataset.labels[dataset.mask(split)]
            classes = np.unique(labels)
            if len(classes) < 2:
                found = f"only class {classes.tolist()}" if len(classes) else "no genes"
                raise TrainingError(
                    f"cell {dataset.cell}: the {split} split has {found} ({len(labels)} genes); "
                    "training and AUC need both classes"
                )


class CorrelationScored(Task):
    """A task with one real-valued output, scored by Pearson and Spearman r and selected by the
    validation Pearson r: regression here, the differential fold change
    (``chromexpr.differential.train``)."""

    selection_label = "Pearson r"
    selection_column = "valid_pearson"

    def scores(self, outputs: torch.Tensor) -> np.ndarray:
        return outputs[:, 0].double().numpy()

    def split_metrics(self, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        return correlations(targets, scores)

    def format_target(self, value: Any) -> str:
        return f"{value:.9g}"


class Regression(CorrelationScored):
    name = "regression"
    prediction_columns = ("log_expression", "prediction")
    score_name = "log_expression"

    def n_outputs(self, model_params: dict[str, Any]) -> dict[str, Any]:
        return {**model_params, "n_outputs": 1}

    def targets(self, dataset: CellDataset, split: str) -> np.ndarray:
        return np.log1p(dataset.expression[dataset.mask(split)]).astype(np.float32)

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        return F.mse_loss(outputs[..., 0], targets.to(outputs.dtype), reduction=reduction)

    def check(self, dataset: CellDataset) -> None:
        # Finite expression of at least two values in every split, else no correlation is defined.
        for split in SPLITS:
            expression = dataset.expression[dataset.mask(split)]
            if not np.all(np.isfinite(expression)) or len(np.unique(expression)) < 2:
                raise TrainingError(
                    f"cell {dataset.cell}: the {split} split's expression ({len(expression)} genes) must be "
                    "finite and take at least two values for a correlation"
                )


TASKS: dict[str, Task] = {task.name: task for task in (Classification(), Regression())}
