"""The demo's truth: expected class profiles from the generator's model, and scoring against them."""

import numpy as np
import pytest

from chromexpr.counting.fast import overlap_counts
from chromexpr.demo.biology import DEMO_MARKS, rpkm_from_activity, simulate_reads
from chromexpr.demo.mirror import pick_genes
from chromexpr.demo.truth import expected_class_profiles
from chromexpr.errors import ConfigError
from chromexpr.interpret.truth import is_positional, score_against_truth

MARKS = list(DEMO_MARKS)
OFFSETS = np.arange(-5000, 5000, 100)
CONTIGS = {"chr1": 249_250_621, "chr21": 48_129_895, "chrM": 16_571}


def truth(reverse_minus_strand=True, n_genes=300):
    return expected_class_profiles(MARKS, OFFSETS, reverse_minus_strand, "E003", 1, n_genes)


def difference(profiles, mark):
    return profiles[1, MARKS.index(mark)] - profiles[0, MARKS.index(mark)]


def test_truth_puts_h3k4me3_just_downstream_of_the_tss_and_h3k4me1_on_both_flanks():
    profiles = truth()
    assert profiles.shape == (2, len(MARKS), len(OFFSETS)) and profiles.min() > 0
    assert 0 <= OFFSETS[np.argmax(difference(profiles, "H3K4me3"))] < 300
    h3k4me1 = difference(profiles, "H3K4me1")
    upstream, downstream = h3k4me1[OFFSETS < 0], h3k4me1[OFFSETS >= 0]
    assert abs(OFFSETS[OFFSETS < 0][np.argmax(upstream)] + 1500) <= 200
    assert abs(OFFSETS[OFFSETS >= 0][np.argmax(downstream)] - 1500) <= 200


def test_truth_signs_follow_the_generator_active_marks_up_repressive_marks_down():
    totals = dict(zip(MARKS, (truth()[1] - truth()[0]).sum(axis=1), strict=True))
    assert all(totals[mark] > 0 for mark in ("H3K4me3", "H3K4me1", "H3K36me3"))
    assert all(totals[mark] < 0 for mark in ("H3K27me3", "H3K9me3"))


def test_h3k36me3_is_downstream_and_positional_only_with_minus_strand_bins_reversed():
    oriented = difference(truth(reverse_minus_strand=True), "H3K36me3")
    genomic = difference(truth(reverse_minus_strand=False), "H3K36me3")
    assert oriented[OFFSETS >= 0].sum() > 5 * oriented[OFFSETS < 0].sum()
    assert is_positional(oriented) and not is_positional(genomic)
    assert not is_positional(difference(truth(), "H3K27me3"))
    assert is_positional(difference(truth(reverse_minus_strand=False), "H3K4me3"))


def test_truth_refuses_marks_the_demo_does_not_model():
    with pytest.raises(ConfigError, match="H3K79me2"):
        expected_class_profiles(["H3K79me2"], OFFSETS, True, "E003")


def simulated_class_means(mark, n_genes, seed=1):
    """Mean counts [classes, bins] of the demo genes' own reads of ``mark`` (reversed bins),
    simulated by the generator with the mirror's depth factor and no background."""
    rng = np.random.default_rng(seed)
    genes = pick_genes(np.random.default_rng(seed), n_genes)
    activity = rng.standard_normal(n_genes)
    labels = (rpkm := rpkm_from_activity(rng, activity)) >= np.median(rpkm)
    depth = np.random.default_rng([seed, 0]).uniform(0.6, 1.0)
    reads = simulate_reads(
        rng, mark, genes, activity, rng.uniform(size=n_genes), depth, 0.0, CONTIGS
    )
    reads = reads[reads["chrom"].isin(["chr1", "chr21"])]
    counts = np.zeros((n_genes, len(OFFSETS)))
    for row in range(n_genes):
        columns = OFFSETS if genes.strands[row] == 1 else OFFSETS[::-1]
        on_chrom = reads[reads["chrom"] == genes.chroms[row]]
        counts[row] = overlap_counts(
            on_chrom["start"].to_numpy(),
            on_chrom["end"].to_numpy(),
            genes.tss[row] + columns,
            genes.tss[row] + columns + 100,
        )
    return np.stack([counts[~labels].mean(axis=0), counts[labels].mean(axis=0)]), depth


@pytest.mark.parametrize("mark", ["H3K4me3", "H3K4me1"])
def test_truth_difference_matches_the_generator_simulated_once(mark, monkeypatch):
    """Tolerances: correlation >= 0.9 and total within 25 % for 400 genes drawn once (seeded);
    neighbouring genes' reads (which the truth leaves out) count here too."""
    means, depth = simulated_class_means(mark, 400)
    monkeypatch.setattr("chromexpr.demo.truth.demo_depth", lambda *_: depth)
    monkeypatch.setattr("chromexpr.demo.truth.DEFAULT_BACKGROUND_READS_PER_MB", 0.0)
    expected = expected_class_profiles([mark], OFFSETS, True, "E003", 1, 400)[:, 0]
    simulated, predicted = means[1] - means[0], expected[1] - expected[0]
    assert np.corrcoef(simulated, predicted)[0, 1] >= 0.9
    assert simulated.sum() == pytest.approx(predicted.sum(), rel=0.25)


def test_score_of_the_truth_itself_is_perfect_and_of_its_negation_all_wrong():
    profiles = truth()
    perfect = score_against_truth(profiles, profiles, MARKS)
    assert perfect["correlation"].to_numpy() == pytest.approx(1.0)
    assert perfect["sign_agrees"].all()
    flipped = score_against_truth(profiles[::-1], profiles, MARKS)
    assert flipped["correlation"].to_numpy() == pytest.approx(-1.0)
    assert not flipped["sign_agrees"].any()
    assert flipped.set_index("mark")["positional"].to_dict()["H3K4me3"]


def test_score_of_a_flat_profile_has_no_correlation_and_a_wrong_shape_is_refused():
    profiles = truth()
    flat = np.ones_like(profiles)
    assert score_against_truth(flat, profiles, MARKS)["correlation"].isna().all()
    with pytest.raises(ValueError, match="2 classes, 5 marks"):
        score_against_truth(profiles[:, :3], profiles, MARKS)
