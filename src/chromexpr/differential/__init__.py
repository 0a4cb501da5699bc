"""Differential expression between two cell types from their histone marks (after DeepDiff).

DeepDiff (Sekhon, Singh and Qi, Bioinformatics 2018) predicts, for each gene, the log2 fold
change of its expression between cell types A and B from both cells' binned marks. Here a pair
is two per-cell datasets already on disk (the same genes and split: no gene crosses sides), and
every model predicts B over A:

==============  ===================================================================================
module          what it holds
==============  ===================================================================================
``registry``    the differential models by name, read without torch
``pairs``       the pair of datasets; fold change, per-cell and up/down/unchanged targets
``models``      DeepDiff, stacked zoo models, mark-difference baselines and the difference of
                two single-cell models as one kind of module
``train``       training a pair model in the harness's loop; scoring the difference baseline
``outputs``     a model's folder: bundle, history, per-gene predictions, metrics
``bundle``      the self-describing differential bundle, saved and loaded
``scores``      bootstrap intervals of Pearson and Spearman r, up/down AUCs with DeLong's
``tables``      every (pair, model)'s scores; DeepDiff against each baseline per pair
``plots``       predicted against observed fold changes; attention by predicted change
``attention``   the marks and bins that drive a predicted change
``truth``       scores against the demo's switching genes (``chromexpr.demo.switching``)
``predict``     fold changes of two samples predicted by a bundle
==============  ===================================================================================

Config rules: ``chromexpr.config.rules.differential``; workflow: ``workflow/rules/differential.smk``.
"""
