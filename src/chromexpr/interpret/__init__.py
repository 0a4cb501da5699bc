"""Interpretation of the data and of trained models, one module per method.

- ``optimisation``: class optimisation maps (DeepChrome): the input a trained model scores
  highest for a class when each bin may move about as far as it varies among genes of one class,
  averaged over restarts;
- ``attribution``: integrated gradients (Captum) averaged per class, and mark knockouts;
- ``truth``: scores of any per-class profile or map against the demo's truth
  (``chromexpr.demo.truth``);
- ``controls``: the maps and attributions of models that must not give the same answer (random
  weights, a mark hidden, permuted labels, one mark alone), each judged by a rule;
- ``gan``: a class-conditional GAN (after DeepChrome 2.0) that generates histone-signal
  matrices, measured against the real genes and a trained classifier;
- ``attention``: AttentiveChrome's bin- and mark-level attention, averaged per predicted class;
- ``profiles``: mean counts per bin and mark of high and low genes;
- ``tracks``: the binned counts as bigWig tracks for a genome browser;
- ``qc``: the data QC tables (reads per file, contig filtering, reads in TSS windows, labels).

``trained`` reloads a per-cell model from its checkpoint; ``outputs`` writes figures and tables reproducibly.
"""
