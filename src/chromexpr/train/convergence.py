"""Whether a training run converged, by one stated rule; recorded in metrics.json and the bundle.

A model trained by the gradient loop converged when its validation figure stopped improving:
early stopping ended the run (no better validation figure for ``patience`` epochs), or, where the
epoch limit ended it, the kept epoch (the one with the best validation figure) lies before the
last tenth of the epochs run (``LAST_FRACTION``; at least the last epoch). A best epoch among the
last tenth of a run the epoch limit ended means the figure was still improving, so a longer run
would likely have kept a better model.

A model fitted outside the loop (``fits_without_gradients``: scikit-learn, LightGBM) is judged
by its library: the fit returns whether it converged and how (``fit_without_gradients``), e.g.
lbfgs within its iteration limit, LightGBM's early stopping before its last round.

The claims table (``chromexpr.claims``) judges no comparison that involves a run which did not
converge: an untrained model would otherwise decide a published claim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chromexpr.train.fit import Run

# The share of the epochs run, at the end, in which a best epoch means "still improving".
LAST_FRACTION = 0.1


@dataclass(frozen=True)
class Convergence:
    """Whether a run converged and, in one sentence, why the rule says so."""

    converged: bool
    reason: str


def epochs_convergence(best_epoch: int, epochs_run: int, stopped_early: bool) -> Convergence:
    """The rule for the gradient loop: converged when early stopping ended the run
    (``stopped_early``), or when ``best_epoch`` (from 1) precedes the last ``LAST_FRACTION`` of
    the ``epochs_run`` epochs (at least the last one)."""
    if stopped_early:
        return Convergence(
            True,
            f"early stopping: best epoch {best_epoch}, no better validation figure in the "
            f"{epochs_run - best_epoch} epochs after it",
        )
    last = max(1, math.ceil(LAST_FRACTION * epochs_run))
    if best_epoch > epochs_run - last:
        return Convergence(
            False,
            f"best epoch {best_epoch} of {epochs_run} is among the last {last}: the validation "
            "figure was still improving when the epoch limit ended training",
        )
    return Convergence(
        True, f"best epoch {best_epoch} of {epochs_run} precedes the last {last} epochs"
    )


def run_convergence(run: Run) -> Convergence:
    """``run``'s convergence: its library's verdict for a model fitted outside the loop, else
    the epoch rule on its history and its early stopping."""
    if run.fit_convergence is not None:
        return run.fit_convergence
    # A callback stopped it (early stopping: the loop's only one that stops a gradient run).
    return epochs_convergence(run.best.epoch, len(run.history), run.stopped)
