"""Controls of class optimisation maps and integrated gradients: would a wrong model pass?

After Adebayo et al. 2018 ("Sanity checks for saliency maps", NeurIPS). Each method (``MapMethod``)
draws a map [classes, marks, bins] of a model; its high-minus-low [marks, bins] is what the
truth tables score and what the controls compare. The same method is drawn for models that
differ from the trained one in a known way (``models``), and each
control has a rule its figure must meet:

- ``model_randomisation``: the trained model with its weights re-initialised, cascading from the
  top layer down to all layers. Figure: Spearman's rank correlation, per mark, of the real
  high-minus-low with the randomised model's, over the bins; every level is reported. Passes
  when every mark's ``|rho| < RANDOMISATION_LIMIT`` for the fully randomised model: a map that
  a model with random weights reproduces describes the method or the data, not the model.
- ``mark_ablation``: per ablated mark M, a model of the same architecture and recipe trained with
  M's bins zeroed, which never sees M afterwards either. Figure: the ratio of M's score (the
  root mean square of its high-minus-low over the bins) to the real model's. Passes when it is
  below ``ABLATION_LIMIT`` for every ablated mark: a map must not draw what the model cannot see.
- ``label_permutation``: a model of the same architecture and recipe trained on labels shuffled
  within the training and within the validation genes. Figure: the correlation of its
  high-minus-low with the reference's, per mark with positional structure (the truth tables'
  ``correlation``). Passes when every one is below ``RECOVERY_CORRELATION`` (the truth tables'
  bar for recovering a mark): a model that learned nothing must not recover the truth.
- ``single_mark``: a logistic regression that sees only the single most predictive mark (the
  highest validation AUC of a logistic regression on each mark alone; H3K4me3 on the demo).
  Figures, for every other mark: its score ratio to the real model's, and its correlation with
  the reference where the mark is positional. Passes when every ratio is below
  ``ABLATION_LIMIT`` and every correlation below ``RECOVERY_CORRELATION``: a map must not draw
  the marks that merely come with the one the model reads.

The reference is the demo generator's truth on the demo (``chromexpr.interpret.truth``), else
the class means of the test genes' inputs (held out from every model here).

Modules: ``models`` builds the control models, ``checks`` draws each method's maps of them and
judges them, ``outputs`` runs one model's controls on one cell and writes them, and sums up
many such tables.
"""
