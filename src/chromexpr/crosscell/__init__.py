"""Cross-cell experiments: does the histone code learned in one cell type predict another's?

After DeepChrome 2.0 (Kadavath, Paradis, Yeung; arXiv 2209.11923), which trains on one cell type
and tests on another, and trains on all or all-but-one cell types. Every experiment scores the
test genes of a cell, and yields rows of the long transfer table (``TRANSFER_COLUMNS``):

=================  ==================  =======================================================
experiment         ``train_set``       what is trained, what is scored
=================  ==================  =======================================================
``pairwise``       the train cell      no training: each per-cell model scores every cell's
                                       test genes; the diagonal is the model's within-cell AUC
``leave_one_out``  ``all-but-{cell}``  one model on the pooled training genes of every cell
                                       but one, scored on the held-out cell's test genes
``pooled``         ``all``             one model on every cell's training genes, scored on
                                       each cell's test genes
=================  ==================  =======================================================

Every cell shares the gene split (``splits.py``), so no model is tested on a gene it was trained
or selected on, in any cell; ``checks.check_no_test_leakage`` verifies it before each scoring or
training. Counts are normalised per cell (``normalisation.py``) before the configured input
transform, in training and in scoring alike (the model bundle records the normalisation).

Modules: ``checks`` (leakage and layout), ``experiments`` (training and scoring), ``tables``
(the long table, matrices, summaries), ``heatmap`` (clustered figure).
"""

from chromexpr.crosscell.checks import LeakageError, check_no_test_leakage
from chromexpr.crosscell.experiments import (
    leave_one_out,
    pairwise_transfer,
    pool_datasets,
    pooled,
    train_normalised_cell,
)
from chromexpr.crosscell.heatmap import cluster_order, plot_transfer_heatmap
from chromexpr.crosscell.tables import (
    TRANSFER_COLUMNS,
    read_transfer_results,
    summarise_transfer,
    transfer_matrix,
    transfer_table,
    write_transfer_table,
)

__all__ = [
    "TRANSFER_COLUMNS",
    "LeakageError",
    "check_no_test_leakage",
    "cluster_order",
    "leave_one_out",
    "pairwise_transfer",
    "plot_transfer_heatmap",
    "pool_datasets",
    "pooled",
    "read_transfer_results",
    "summarise_transfer",
    "train_normalised_cell",
    "transfer_matrix",
    "transfer_table",
    "write_transfer_table",
]
