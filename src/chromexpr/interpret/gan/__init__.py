"""A class-conditional GAN of histone-signal matrices (after DeepChrome 2.0, Kang et al. 2020).

The generator maps a latent vector and the expression class (0 low, 1 high) to a matrix of read
counts [marks, bins]; the discriminator judges (matrix, class) pairs. Trained on one cell type's
training genes only, and measured against its test genes. Deviations from DeepChrome 2.0, each
for stability (its plain GAN collapsed on the demo: spiky mean profiles, classifier agreement
from 0% to 99% depending on the CPU that ran it):

- Count model. The generator draws a smooth expected count (rate) per mark and bin: a linear
  layer lays the latent vector and class embedding out over a quarter of the bins, two linear
  upsampling + convolution stages bring it to full resolution, and ``exp`` (offset by each mark's
  mean log count, capped at its largest training count) makes it a rate. A sample is a Poisson
  draw from that rate, as reads are; the gradient passes through the draw to the rate (straight
  through: ``d draw / d rate = 1``, exact for the mean). The generator learns the gene-to-gene
  variation only; the read noise comes from the Poisson model, so samples are integer counts as
  diverse as real genes', and the discriminator cannot tell them apart by their discreteness.
- The discriminator sees log1p counts standardised per mark (mean and sd of the training genes),
  and each mark's mean of them beside its convolutional features. It is a projection
  discriminator (Miyato & Koyama 2018: the class embedding's inner product with
  the features), every layer spectrally normalised, trained with the hinge loss.
- Mean matching (a form of feature matching, Salimans et al. 2016): the generator's loss adds
  the squared difference between the batch's mean expected counts per class and the training
  genes' class means, relative to each mark's mean count. In log space the discriminator is
  nearly blind to a sparse mark's background level and to a peak's height, which decide the mean
  totals; without this term those drifted by up to 2.7 times from run to run.
- Adam with betas (0, 0.9) for both networks (as SN-GAN) and an exponential moving average of the
  generator's weights (decay 0.995 per step), which is what samples: the average of the last few
  hundred steps instead of wherever the adversarial game stood at the last one.

Modules, in the order of a run:

- ``settings``: ``GanSettings``, the ``interpret.gan`` config mapping;
- ``networks``: the ``Generator`` (rates) and the ``Discriminator``;
- ``training``: ``train_gan``, the adversarial loop with mean matching and weight averaging;
- ``sampling``: generated counts of a class, and profiles along the class interpolation;
- ``metrics``: the measures of generated against real genes (``gan_metrics``) and their worst
  case (``summarise_metrics``);
- ``run``: ``train_and_measure`` and ``run_gan``, which writes the tables, samples and figures
  (the figures are drawn by ``chromexpr.plots.gan``).
"""
