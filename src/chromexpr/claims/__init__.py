"""The field's published comparisons, tested on the run's own outputs.

Each ``Claim`` compares two models on the same test genes (or, for the cross-cell claim, a model
transferred from other cell types against the one trained on the cell itself). Per sample (cell
type) the AUC difference is the mean over the run's folds and seeds of (model a - model b), each
with DeLong's test of the two correlated ROC curves; across samples:

- a superiority claim (a > b) is tested by the two-sided Wilcoxon signed-rank test on the
  per-sample differences: supported when significant with a > b, contradicted when significant
  with a < b;
- an equivalence claim (a = b) by two one-sided Wilcoxon tests (TOST) with the configured margin:
  supported when significant, contradicted when the 95% interval of the mean difference lies
  wholly outside the margin.

p-values are adjusted by Holm's method over the claims judged; anything else is inconclusive at
the run's size (with three cell types no Wilcoxon test can reach p < 0.05: its smallest two-sided
p-value is 2 / 2^n).

A claim is judged only between models trained to convergence (``chromexpr.train.convergence``):
where a run it compares did not converge (or did not record it), its row keeps its figures but
says "not judged: <model> did not converge" instead of a verdict, and leaves Holm's family. The
cross-cell claim's per-cell DeLong tests come from the pairwise transfer's kept per-cell models
(``chromexpr.crosscell.transfer_tests``).
"""

from chromexpr.claims.catalog import (
    CLAIMS,
    CROSSCELL,
    DIFFERENTIAL,
    EQUIVALENCE,
    MODELS,
    OWN_CELL,
    SUPERIORITY,
    Claim,
)
from chromexpr.claims.differences import (
    PAIR_COLUMNS,
    crosscell_differences,
    model_differences,
    read_runs,
)
from chromexpr.claims.table import (
    CLAIM_COLUMNS,
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_JUDGED,
    NOT_RUN,
    SUPPORTED,
    ClaimsOutputs,
    build_claims,
    claim_row,
    claims_markdown,
    claims_table,
    verdict,
)

__all__ = [
    "CLAIMS",
    "CLAIM_COLUMNS",
    "CONTRADICTED",
    "CROSSCELL",
    "DIFFERENTIAL",
    "EQUIVALENCE",
    "INCONCLUSIVE",
    "MODELS",
    "NOT_JUDGED",
    "NOT_RUN",
    "OWN_CELL",
    "PAIR_COLUMNS",
    "SUPERIORITY",
    "SUPPORTED",
    "Claim",
    "ClaimsOutputs",
    "build_claims",
    "claim_row",
    "claims_markdown",
    "claims_table",
    "crosscell_differences",
    "model_differences",
    "read_runs",
    "verdict",
]
