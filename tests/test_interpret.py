"""Interpretation methods on small datasets and toy models built in the tests."""

import functools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest
import torch
from torch import nn

from chromexpr.dataset import CellDataset
from chromexpr.demo.truth import expected_class_profiles
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.interpret.attention import load_attention, run_attention, summarise_attention
from chromexpr.interpret.attribution import (
    AttributionSettings,
    attribution_truth,
    class_means,
    integrated_gradients,
    knockout_table,
    run_attributions,
)
from chromexpr.interpret.controls.checks import ControlSettings
from chromexpr.interpret.controls.outputs import run_interpretation_controls
from chromexpr.interpret.gan.metrics import flat_profile, mean_pairwise_distance, summarise_metrics
from chromexpr.interpret.gan.run import run_gan, train_and_measure
from chromexpr.interpret.gan.sampling import generate_counts
from chromexpr.interpret.gan.settings import GanSettings
from chromexpr.interpret.gan.training import train_gan
from chromexpr.interpret.optimisation import (
    OptimisationSettings,
    class_optimisation_maps,
    class_score,
    restart_inputs,
    run_optimisation,
)
from chromexpr.interpret.profiles import signal_profiles
from chromexpr.interpret.qc import label_balance, reads_table
from chromexpr.interpret.tracks import bin_entries, write_tracks
from chromexpr.interpret.truth import score_against_truth
from chromexpr.models import build_model
from chromexpr.train.checkpoint import Checkpoint, load_checkpoint
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.single import train_cell

MARKS = ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]


def small_dataset(n_genes=60, n_bins=20, bin_size=100, seed=0, chrom=None, tss=None, strand=None):
    """A cell whose high genes carry more H3K4me3 near the TSS, split in thirds."""
    generator = np.random.default_rng(seed)
    labels = (np.arange(n_genes) % 2).astype(np.int8)
    counts = generator.poisson(2.0, size=(n_genes, len(MARKS), n_bins)).astype(np.int32)
    counts[labels == 1, 3, n_bins // 2 - 2 : n_bins // 2 + 2] += 8
    split = np.array(["train", "valid", "test"])[np.arange(n_genes) * 3 // n_genes]
    return CellDataset(
        cell="E003",
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
        symbols=np.array([f"G{i}" for i in range(n_genes)]),
        chrom=np.array(chrom if chrom is not None else ["chr1"] * n_genes),
        tss=np.array(tss if tss is not None else 50_000 + 10_000 * np.arange(n_genes)),
        strand=np.array(strand if strand is not None else ["+"] * n_genes),
        counts=counts,
        labels=labels,
        expression=labels.astype(float) * 10,
        expression_unit="rpkm",
        split=split,
        marks=np.array(MARKS),
        bin_offsets=np.arange(-n_bins // 2, n_bins // 2) * bin_size,
    )


def toy_one_output_model(n_bins=20):
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(len(MARKS) * n_bins, 16), nn.ReLU(), nn.Linear(16, 1)
    ).eval()


# --- optimisation maps --------------------------------------------------------------------------


def test_optimisation_raises_both_class_scores_of_deepchrome_and_stays_non_negative():
    torch.manual_seed(0)
    model = build_model("deepchrome", len(MARKS), 100)
    dataset = small_dataset(n_bins=100)
    inputs = dataset.features("train").astype(np.float32)
    labels = dataset.labels[dataset.mask("train")]
    settings = OptimisationSettings(l2_lambda=0.5, steps=40, learning_rate=0.1, restarts=8)
    result = class_optimisation_maps(model, inputs, labels, settings)
    assert result["maps"].shape == (2, len(MARKS), 100)
    assert result["maps"].min() >= 0
    assert (result["scores"][:, -1] > result["scores"][:, 0]).all(), result["scores"][:, [0, -1]]


def test_optimisation_of_a_one_output_model_pushes_its_logit_both_ways():
    model = toy_one_output_model()
    dataset = small_dataset()
    inputs = dataset.features("train").astype(np.float32)
    labels = dataset.labels[dataset.mask("train")]
    settings = OptimisationSettings(l2_lambda=0.5, steps=60, learning_rate=0.1, restarts=20)
    result = class_optimisation_maps(model, inputs, labels, settings)
    assert result["maps"].min() >= 0
    with torch.no_grad():
        start_logit = model(torch.as_tensor(result["start"])[None])[0, 0].item()
        logits = model(torch.as_tensor(result["maps"]))[:, 0]
    assert logits[1].item() > start_logit > logits[0].item()


def test_optimisation_restarts_are_seeded_training_genes():
    inputs = small_dataset().features("train").astype(np.float32)
    first, again, other = (
        restart_inputs(inputs, OptimisationSettings(restarts=5, seed=seed)) for seed in (1, 1, 2)
    )
    assert first.shape == (5, len(MARKS), 20)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert all((inputs == start).all(axis=(1, 2)).any() for start in first)


def test_class_score_of_one_output_is_the_signed_logit():
    outputs = torch.tensor([[1.5], [-2.0]])
    assert class_score(outputs, 1).tolist() == [1.5, -2.0]
    assert class_score(outputs, 0).tolist() == [-1.5, 2.0]
    assert class_score(torch.tensor([[0.1, 0.7]]), 0).tolist() == pytest.approx([0.1])


# --- conditional GAN ----------------------------------------------------------------------------


def test_gan_trains_a_few_epochs_and_samples_are_counts_of_the_data_shape():
    dataset = small_dataset()
    settings = GanSettings(epochs=3, latent_size=8, batch_size=16, channels=8)
    train = dataset.mask("train")
    generator, history = train_gan(dataset.counts[train], dataset.labels[train], settings)
    assert list(history["epoch"]) == [1, 2, 3]
    assert np.isfinite(history[["discriminator_loss", "generator_loss"]].to_numpy()).all()
    for target_class in (0, 1):
        samples = generate_counts(generator, target_class, 7, seed=1)
        assert samples.shape == (7, len(MARKS), 20)
        assert samples.min() >= 0 and np.array_equal(samples, np.round(samples))  # read counts
        # Rates are capped at each mark's largest training count.
        assert samples.max() < 10 * dataset.counts.max()
    again = generate_counts(generator, 1, 7, seed=1)
    assert np.array_equal(again, generate_counts(generator, 1, 7, seed=1))


def layout_of(dataset):
    """The bundle keys that say which marks and bins a model reads: ``dataset``'s."""
    return {
        "marks": [str(mark) for mark in dataset.marks],
        "bin_offsets": [int(offset) for offset in dataset.bin_offsets],
    }


def tss_peak_classifier(dataset):
    """A Checkpoint whose model calls a gene high when its log1p H3K4me3 over the 4 TSS bins
    sums to more than 7: the rule that separates small_dataset's classes."""
    n_bins = dataset.counts.shape[2]

    class TssPeak(nn.Module):
        def forward(self, inputs):
            centre = inputs[:, 3, n_bins // 2 - 2 : n_bins // 2 + 2].sum(dim=1)
            return 4 * (centre - 7)[:, None]

    return Checkpoint(
        "tss-peak.pt",
        TssPeak(),
        {
            "model": "tss-peak",
            "task": "classification",
            "n_outputs": 1,
            "input": {"transform": "log1p", "normalisation": "none"},
            **layout_of(dataset),
        },
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_gan_reproduces_the_classes_profiles_totals_and_diversity(seed):
    # 200 training genes; low genes are flat Poisson noise, high ones carry an H3K4me3 peak.
    # Tolerances are the targets the demo cells are held to (benchmarks/gan.py).
    dataset = small_dataset(n_genes=600)
    settings = GanSettings(epochs=150, latent_size=8, batch_size=32, channels=8, seed=seed)
    metrics = train_and_measure(dataset, tss_peak_classifier(dataset), settings).metrics
    by_class = metrics.set_index(["class", "mark"])
    assert by_class["real_classifier_agreement"].min() >= 0.95  # the rule fits the data
    not_flat = by_class.index[~by_class["real_flat"]].tolist()
    assert not_flat == [("high", "H3K4me3")]
    summary = summarise_metrics(metrics)
    assert summary["classifier_agreement"] >= 0.9
    assert summary["profile_correlation"] >= 0.9
    assert summary["total_error"] <= 0.2
    assert summary["diversity_ratio"] >= 0.5


def test_flat_profiles_are_told_from_shaped_ones_by_their_sampling_noise():
    rng = np.random.default_rng(0)
    noise = rng.poisson(2.0, size=(300, 20)).astype(float)
    assert flat_profile(noise)
    peaked = noise.copy()
    peaked[:, 9:11] += 1.0
    assert not flat_profile(peaked)


def test_collapsed_samples_have_no_pairwise_distance():
    rng = np.random.default_rng(0)
    one = rng.poisson(2.0, size=(1, 5, 20)).astype(float)
    assert mean_pairwise_distance(np.repeat(one, 10, axis=0)) == 0
    assert mean_pairwise_distance(rng.poisson(2.0, size=(10, 5, 20)).astype(float)) > 0


def test_gan_metrics_and_figures_are_written(tmp_path):
    dataset = small_dataset()
    classifier = Checkpoint(
        tmp_path / "toy.pt",
        toy_one_output_model(),
        {
            "model": "toy",
            "task": "classification",
            "n_outputs": 1,
            "input": {"transform": "log1p", "normalisation": "none"},
            **layout_of(dataset),
        },
    )
    settings = GanSettings(epochs=2, latent_size=8, batch_size=16, channels=8, samples_per_class=30)
    names = ("metrics", "history", "samples", "profiles", "grid")
    suffix = {
        "metrics": "tsv",
        "history": "tsv",
        "samples": "npz",
        "profiles": "png",
        "grid": "png",
    }
    outputs = {name: tmp_path / f"{name}.{suffix[name]}" for name in names}
    metrics = run_gan(dataset, classifier, settings, outputs, simulated=True)
    assert len(metrics) == 2 * len(MARKS)
    assert set(metrics["class"]) == {"low", "high"}
    for column in ("classifier_agreement", "real_classifier_agreement"):
        assert metrics[column].between(0, 1).all()
    assert (metrics["total_ratio"] > 0).all() and (metrics["diversity_ratio"] > 0).all()
    assert metrics["profile_correlation"].between(-1, 1).all()
    assert pd.read_csv(outputs["metrics"], sep="\t").shape == metrics.shape
    with np.load(outputs["samples"]) as samples:
        assert samples["high"].shape == (30, len(MARKS), 20)
    assert outputs["profiles"].stat().st_size > 0 and outputs["grid"].stat().st_size > 0


# --- attention ----------------------------------------------------------------------------------


def write_attention(path, n_genes=12, n_bins=20, seed=0):
    generator = np.random.default_rng(seed)
    bins = generator.random((n_genes, len(MARKS), n_bins))
    marks = generator.random((n_genes, len(MARKS)))
    np.savez(
        path,
        gene_ids=np.array([f"g{i}" for i in range(n_genes)]),
        bins=bins / bins.sum(axis=2, keepdims=True),
        marks=marks / marks.sum(axis=1, keepdims=True),
        probability=np.linspace(0.05, 0.95, n_genes),
        label=np.arange(n_genes) % 2,
        mark_names=np.array(MARKS),
    )
    return marks / marks.sum(axis=1, keepdims=True)


def test_attention_is_averaged_per_predicted_class(tmp_path):
    marks = write_attention(tmp_path / "attention.npz")
    attention = load_attention(tmp_path / "attention.npz")
    bin_table, mark_table = summarise_attention(attention)
    high = np.linspace(0.05, 0.95, 12) >= 0.5
    expected = marks[high].mean(axis=0)
    observed = mark_table[mark_table["predicted_class"] == "high"].set_index("mark")["attention"]
    assert observed.reindex(MARKS).to_numpy() == pytest.approx(expected)
    assert (mark_table.groupby("predicted_class")["attention"].sum()).to_numpy() == pytest.approx(1)
    per_mark = bin_table.groupby(["predicted_class", "mark"])["attention"].sum()
    assert per_mark.to_numpy() == pytest.approx(1)  # each mark's bin attention still sums to 1
    run_attention(
        tmp_path / "attention.npz", tmp_path / "b.tsv", tmp_path / "m.tsv", tmp_path / "a.png", "t"
    )
    assert (tmp_path / "a.png").stat().st_size > 0


def test_attention_archive_without_a_key_is_rejected_by_name(tmp_path):
    np.savez(tmp_path / "bad.npz", bins=np.zeros((2, 5, 3)))
    with pytest.raises(InputFormatError, match="bad.npz.*missing"):
        load_attention(tmp_path / "bad.npz")


# --- signal profiles and QC ---------------------------------------------------------------------


def test_signal_profiles_are_the_class_means_per_bin():
    dataset = small_dataset()
    table = signal_profiles(dataset)
    assert len(table) == 2 * len(MARKS) * 20
    row = table[
        (table["label"] == "high") & (table["mark"] == "H3K4me3") & (table["bin_offset"] == 0)
    ]
    expected = dataset.counts[dataset.labels == 1, 3, 10].mean()
    assert row["mean_count"].item() == pytest.approx(expected)
    assert row["n_genes"].item() == 30


def test_qc_tables_report_reads_windows_and_label_balance(tmp_path):
    dataset = small_dataset()
    report = tmp_path / "E003-H3K4me3.json"
    report.write_text(
        json.dumps(
            {
                "reads_total": 100_000,
                "reads_kept": 99_000,
                "dropped_unknown_contig": {"chrEBV": 900},
                "dropped_beyond_end": 100,
            }
        )
    )
    reads = reads_table([dataset], {("E003", "H3K4me3"): report}).set_index("mark")
    assert reads.loc["H3K4me3", "fraction_dropped"] == pytest.approx(0.01)
    in_windows = dataset.counts[:, 3].sum()
    assert reads.loc["H3K4me3", "fraction_in_windows"] == pytest.approx(in_windows / 99_000)
    assert np.isnan(reads.loc["H3K27me3", "fraction_in_windows"])  # no report for that file
    balance = label_balance([dataset]).set_index("split")
    assert balance.loc["all", "fraction_high"] == 0.5
    assert balance.loc[["train", "valid", "test"], "n_genes"].sum() == 60


# --- bigWig tracks ------------------------------------------------------------------------------


def test_bigwig_tracks_read_back_equal_to_the_counts(tmp_path):
    chrom = ["chr1"] * 3 + ["chr2"] * 3
    tss = [5_000, 20_000, 40_000, 3_000, 30_000, 60_000]
    dataset = small_dataset(n_genes=6, chrom=chrom, tss=tss, strand=["+", "-"] * 3)
    sizes = {"chr1": 1_000_000, "chr2": 500_000, "chr3": 10}
    paths = [tmp_path / f"{mark}.bw" for mark in MARKS]
    write_tracks(dataset, sizes, paths)
    for index, path in enumerate(paths):
        with pyBigWig.open(str(path)) as bigwig:
            assert bigwig.chroms() == {"chr1": 1_000_000, "chr2": 500_000}
            for gene in range(6):
                start = tss[gene] - 1000
                values = bigwig.stats(chrom[gene], start, start + 2000, type="mean", nBins=20)
                assert values == pytest.approx(dataset.counts[gene, index].tolist())


def test_tracks_of_mirrored_windows_put_minus_strand_bins_where_they_were_counted():
    # A minus-strand gene with TSS 5,000 and 1 kb windows was counted over (4,000, 6,000].
    dataset = small_dataset(n_genes=2, chrom=["chr1", "chr2"], tss=[5_000] * 2, strand=["+", "-"])
    sizes = {"chr1": 10_000, "chr2": 10_000}
    entries = bin_entries(
        dataset, 0, sizes, reverse_minus_strand=True, window_convention="mirrored"
    )
    plus_starts, _, plus_values = entries["chr1"]
    minus_starts, minus_ends, minus_values = entries["chr2"]
    assert (plus_starts[0], minus_starts[0], minus_ends[-1]) == (4_000, 4_001, 6_001)
    assert plus_values.tolist() == dataset.counts[0, 0].tolist()
    assert minus_values.tolist() == dataset.counts[1, 0, ::-1].tolist()


def test_overlapping_windows_keep_the_first_gene_and_clip_at_the_chromosome_end():
    # Gene 1's window starts 500 bp inside gene 0's; gene 2's runs past the end of chr1.
    dataset = small_dataset(n_genes=3, chrom=["chr1"] * 3, tss=[5_000, 5_500, 9_700])
    starts, ends, values = bin_entries(dataset, 0, {"chr1": 10_000})["chr1"]
    assert (starts[1:] >= ends[:-1]).all()  # no overlap, sorted
    covered = dict(zip(starts.tolist(), values.tolist(), strict=True))
    assert [covered[4_000 + 100 * b] for b in range(20)] == dataset.counts[0, 0].tolist()
    # Gene 1 contributes only its bins past gene 0's window, which ends at 6,000.
    assert covered[6_000] == dataset.counts[1, 0, 15]
    assert ends.max() == 10_000


# --- configuration ------------------------------------------------------------------------------


def test_interpret_config_is_documented_and_rejects_typos(repo):
    import yaml
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    schema = str(repo / "workflow/schemas/config.schema.yaml")
    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    validate(config, schema)
    assert config["interpret"]["gan"]["batch_size"] == 64  # a default filled in
    assert GanSettings.from_config(config["interpret"]["gan"]).epochs == 200
    optimisation = OptimisationSettings.from_config(config["interpret"]["optimisation"])
    assert optimisation.steps == 50 and optimisation.restarts == 64
    config["interpret"]["gan"]["epoch"] = 3
    with pytest.raises(WorkflowError, match="epoch"):
        validate(config, schema)


def test_tracks_of_genes_without_positions_are_refused_by_cell():
    dataset = small_dataset(n_genes=3, chrom=[""] * 3, tss=[-1] * 3)
    with pytest.raises(InputFormatError, match="E003.*without a position"):
        bin_entries(dataset, 0, {"chr1": 10_000})


# --- recovering the demo's truth ----------------------------------------------------------------


@functools.cache
def demo_truth():
    """The demo's truth of cell E003 in 100 bins of 100 bp in genomic order (seconds to
    integrate: computed once per session)."""
    offsets = np.arange(-5000, 5000, 100)
    return offsets, expected_class_profiles(MARKS, offsets, False, "E003", 1, None)


def truth_dataset(n_genes=600, seed=0):
    """A demo-like cell drawn from the demo's truth (bins in genomic order, as in the default
    config): each gene's counts are Poisson around its class's expected profile times a
    lognormal level per mark."""
    offsets, truth = demo_truth()
    generator = np.random.default_rng(seed)
    labels = generator.permutation(np.arange(n_genes) % 2).astype(np.int8)
    levels = np.exp(generator.normal(0, 0.5, (n_genes, len(MARKS), 1)))
    counts = generator.poisson(truth[labels] * levels).astype(np.int32)
    split = np.array(["train", "valid", "test"])[np.arange(n_genes) * 3 // n_genes]
    dataset = CellDataset(
        cell="E003",
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
        symbols=np.array([f"G{i}" for i in range(n_genes)]),
        chrom=np.array(["chr1"] * n_genes),
        tss=50_000 + 20_000 * np.arange(n_genes),
        strand=np.array(["+"] * n_genes),
        counts=counts,
        labels=labels,
        expression=labels.astype(float) * 10,
        expression_unit="rpkm",
        split=split,
        marks=np.array(MARKS),
        bin_offsets=offsets,
    )
    return dataset, truth


@pytest.fixture(scope="module")
def trained_on_truth(tmp_path_factory):
    """DeepChrome trained (fast recipe, 10 epochs, seed 1) on a cell drawn from the truth."""
    dataset, truth = truth_dataset()
    folder = tmp_path_factory.mktemp("deepchrome")
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "fast", "epochs": 10, "seed": 1, "device": "cpu"}
    )
    train_cell(dataset, settings, folder)
    return dataset, truth, load_checkpoint(folder / "model.pt")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimisation_maps_of_deepchrome_recover_h3k4me3_for_every_seed(trained_on_truth, seed):
    """The mark DeepChrome leans on: its map's high-minus-low correlates with the truth's
    (r >= 0.9) with the right sign. The maps show what the model reads, and a DeepChrome of 10
    epochs reads little of H3K4me1's flanks or of the flat marks
    (test_interpret_controls.py shows a model that reads them drawing them)."""
    dataset, truth, trained = trained_on_truth
    settings = OptimisationSettings(seed=seed)
    maps = class_optimisation_maps(
        trained.model,
        trained.inputs(dataset, "train"),
        dataset.labels[dataset.mask("train")],
        settings,
    )
    scores = score_against_truth(maps["maps"], truth, MARKS).set_index("mark")
    assert set(scores.index[scores["positional"]]) == {"H3K4me3", "H3K4me1"}
    assert scores.loc["H3K4me3", "correlation"] >= 0.9, scores["correlation"]
    assert scores.loc["H3K4me3", "sign_agrees"]


def test_interpretation_refuses_a_regression_bundle_before_any_output(tmp_path):
    dataset, _ = truth_dataset(n_genes=30)
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "fast", "epochs": 1, "device": "cpu"}
    )
    train_cell(dataset, replace(settings, task="regression"), tmp_path / "model")
    regression = load_checkpoint(tmp_path / "model" / "model.pt")
    paths = [tmp_path / name for name in ("ig.npz", "knockouts.tsv", "ig.png")]
    with pytest.raises(DatasetMismatchError, match="is a regression model, but classification"):
        run_attributions(dataset, regression, AttributionSettings(), *paths)
    with pytest.raises(DatasetMismatchError, match="is a regression model, but classification"):
        run_optimisation(dataset, regression, OptimisationSettings(), paths[0])
    with pytest.raises(DatasetMismatchError, match="is a regression model, but classification"):
        run_interpretation_controls(
            dataset,
            regression,
            {"optimisation": paths[0]},
            OptimisationSettings(),
            AttributionSettings(),
            ControlSettings(),
            None,
            paths[1],
            paths[0],
        )
    gan_outputs = {name: tmp_path / f"gan-{name}" for name in ("metrics", "history", "samples")}
    with pytest.raises(DatasetMismatchError, match="is a regression model, but classification"):
        run_gan(
            dataset,
            regression,
            GanSettings(),
            {**gan_outputs, "profiles": paths[2], "grid": paths[2]},
        )
    assert not any(path.exists() for path in [*paths, *gan_outputs.values()])


# --- attributions -------------------------------------------------------------------------------


def linear_model(weights):
    """A one-output linear model of inputs [genes, marks, bins] with the given weights."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(weights.size, 1))
    with torch.no_grad():
        model[1].weight.copy_(torch.as_tensor(weights.reshape(1, -1), dtype=torch.float32))
        model[1].bias.fill_(-1.0)
    return model.eval()


def test_integrated_gradients_of_a_linear_model_are_input_times_weight():
    generator = np.random.default_rng(0)
    weights = generator.normal(size=(len(MARKS), 20))
    inputs = generator.poisson(2.0, size=(6, len(MARKS), 20)).astype(np.float32)
    baseline = np.zeros((len(MARKS), 20), dtype=np.float32)
    attributions = integrated_gradients(linear_model(weights), inputs, baseline, steps=4)
    assert attributions == pytest.approx(inputs * weights, rel=1e-4, abs=1e-4)


def test_knockouts_move_p_high_only_through_marks_the_model_reads():
    weights = np.zeros((len(MARKS), 20))
    weights[MARKS.index("H3K4me3")] = 0.2
    model = linear_model(weights)
    trained = Checkpoint(Path("linear.pt"), model, {"n_outputs": 1})
    dataset = small_dataset()
    inputs = dataset.features("test").astype(np.float32)
    labels = dataset.labels[dataset.mask("test")]
    train = dataset.features("train").astype(np.float32)
    class_inputs = class_means(train, dataset.labels[dataset.mask("train")])
    table = knockout_table(trained, inputs, labels, class_inputs, MARKS).set_index(
        ["knockout", "class", "mark"]
    )
    assert (table.loc[("zero", slice(None), "H3K4me3"), "change_p_high"] < 0).all()
    towards_other = table.loc[("other_class_mean", slice(None), "H3K4me3"), "change_p_high"]
    assert towards_other.loc[("other_class_mean", "low", "H3K4me3")] > 0
    assert towards_other.loc[("other_class_mean", "high", "H3K4me3")] < 0
    others = table.drop(index="H3K4me3", level="mark")["change_p_high"]
    assert others.to_numpy() == pytest.approx(0.0, abs=1e-7)


def test_attributions_of_a_model_trained_on_the_truth_agree_with_it_for_h3k4me3(
    trained_on_truth, tmp_path
):
    dataset, truth, trained = trained_on_truth
    paths = [tmp_path / name for name in ("ig.npz", "knockouts.tsv", "ig.png")]
    maps, knockouts = run_attributions(dataset, trained, AttributionSettings(), *paths)
    assert all(path.exists() for path in paths)
    assert maps.shape == (2, len(MARKS), 100)
    scores = attribution_truth(maps, knockouts, truth, MARKS).set_index(["method", "mark"])
    assert scores.loc[("integrated_gradients", "H3K4me3"), "sign_agrees"]
    assert scores.loc[("integrated_gradients", "H3K4me3"), "correlation"] >= 0.8
    assert scores.loc[("knockout_zero", "H3K4me3"), "sign_agrees"]
    assert scores.loc[("knockout_other_class_mean", "H3K4me3"), "sign_agrees"]
