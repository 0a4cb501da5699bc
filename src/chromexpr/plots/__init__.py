"""Figures, one module per topic, each built on a bare Matplotlib Figure (no pyplot state, safe
in parallel jobs) and saved byte-identical for the same inputs.

- ``figure``: making a figure, titles that fit, the simulated-data note, saving PNG and SVG;
- ``scores``: test AUC per cell type against the published AUCs, models compared across cell
  types, training curves;
- ``claims``: the forest plot of the published claims tested;
- ``gan``: the conditional GAN's profiles and sample grids;
- ``maps``: the class optimisation maps beside their controls' maps.

Interpretation methods draw their own figures beside their tables (``chromexpr.interpret``), on
``figure``'s functions.
"""
