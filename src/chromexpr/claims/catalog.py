"""The field's published comparisons that the claims table tests (``chromexpr.claims``)."""

from __future__ import annotations

from dataclasses import dataclass

SUPERIORITY, EQUIVALENCE = "superiority", "equivalence"
MODELS, CROSSCELL, DIFFERENTIAL = "models", "crosscell", "differential"
# The cross-cell claim's comparison: the model's own-cell AUC against its AUC when trained on
# another cell type (pairwise transfer, no input normalisation).
OWN_CELL = "own cell"


@dataclass(frozen=True)
class Claim:
    """A published comparison: ``better`` beats (or, for equivalence, equals) ``other``."""

    key: str
    statement: str
    source: str
    better: str
    other: str
    kind: str = SUPERIORITY
    experiment: str = MODELS

    @property
    def compared(self) -> str:
        relation = "=" if self.kind == EQUIVALENCE else ">"
        if self.experiment == CROSSCELL:
            return f"{self.better} from other cells {relation} {self.better} on its own cell"
        if self.experiment == DIFFERENTIAL:
            return f"{self.better} {relation} {self.other} (Pearson r of log2 fold change)"
        return f"{self.better} {relation} {self.other}"


CLAIMS = (
    Claim(
        "linear_equals_cnn",
        "A 12-parameter linear model has the same predictive power as DeepChrome's CNN",
        "DeepChrome 2.0 (Kadavath et al., arXiv 2209.11923)",
        "linear",
        "deepchrome",
        EQUIVALENCE,
    ),
    Claim(
        "crnn_over_deepchrome",
        "The CRNN is a statistically significant improvement over DeepChrome",
        "Zhu et al., EMBEC & NBC 2017",
        "crnn",
        "deepchrome",
    ),
    Claim(
        "neighbours_help",
        "Neighbouring genes' histone codes improve the prediction",
        "SimpleChrome (Cheng et al. 2020)",
        "simplechrome",
        "simplechrome_self",
    ),
    Claim(
        "code_independent_of_cell_type",
        "The histone code is independent of cell type: a model transfers without loss",
        "DeepChrome 2.0 (Kadavath et al., arXiv 2209.11923)",
        "deepchrome",
        OWN_CELL,
        EQUIVALENCE,
        CROSSCELL,
    ),
    Claim(
        "gbdt_over_deepchrome",
        "Gradient-boosted trees beat deep models (mean AUC 0.903 against DeepChrome's 0.801)",
        "PatternChrome (Bioinformatics 2025)",
        "gbdt",
        "deepchrome",
    ),
    Claim(
        "gbdt_over_attentivechrome",
        "Gradient-boosted trees beat deep models (mean AUC 0.903 against AttentiveChrome's 0.81)",
        "PatternChrome (Bioinformatics 2025)",
        "gbdt",
        "attentivechrome",
    ),
    Claim(
        "attentivechrome_over_deepchrome",
        "Attention over bins and marks improves on DeepChrome",
        "AttentiveChrome (Singh et al., NeurIPS 2017)",
        "attentivechrome",
        "deepchrome",
    ),
    Claim(
        "deepchrome_over_mlp",
        "DeepChrome's CNN beats its MLP baseline",
        "DeepChrome (Singh et al., Bioinformatics 2016)",
        "deepchrome",
        "mlp",
    ),
    Claim(
        "deepdiff_over_difference",
        "DeepDiff beats the difference of single-cell models",
        "DeepDiff (Sekhon et al., Bioinformatics 2018)",
        "deepdiff",
        "difference",
        experiment=DIFFERENTIAL,
    ),
)
