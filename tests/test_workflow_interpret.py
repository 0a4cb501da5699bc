"""Interpretation, data QC and the report: the shared demo run (conftest.py)."""

import base64
import json
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from chromexpr.dataset import CellDataset
from chromexpr.interpret.controls.checks import CONTROLS

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

CELLS = ("E003", "E004")
CATEGORIES = ("Data QC", "Per-cell AUC", "Models", "Interpretation")


@pytest.fixture(scope="module")
def workdir(demo_run):
    return demo_run


def test_optimisation_maps_raise_the_class_scores_and_are_non_negative(workdir):
    for cell in CELLS:
        with np.load(workdir / f"results/interpret/optimisation/deepchrome/{cell}.npz") as maps:
            assert maps["maps"].shape == (2, 5, 100) and maps["maps"].min() >= 0
            assert (maps["scores"][:, -1] > maps["scores"][:, 0]).all()
            assert maps["classes"].tolist() == ["low", "high"]
        assert (workdir / f"results/figures/interpret/optimisation/deepchrome-{cell}.png").exists()


def test_demo_maps_and_attributions_are_scored_against_the_demo_truth(workdir):
    for cell in CELLS:
        maps = pd.read_csv(
            workdir / f"results/interpret/optimisation/deepchrome/{cell}-truth.tsv", sep="\t"
        )
        assert maps["cell"].eq(cell).all() and len(maps) == 5
        # Bins in genomic order (the demo default): only the TSS marks are positional.
        assert set(maps.loc[maps["positional"], "mark"]) == {"H3K4me3", "H3K4me1"}
        folder = workdir / f"results/interpret/attributions/deepchrome/{cell}"
        scores = pd.read_csv(folder / "truth.tsv", sep="\t")
        assert set(scores["method"]) == {
            "integrated_gradients",
            "knockout_zero",
            "knockout_other_class_mean",
        }
        knockouts = pd.read_csv(folder / "knockouts.tsv", sep="\t")
        assert len(knockouts) == 2 * 2 * 5 and knockouts["change_p_high"].notna().all()
        with np.load(folder / "integrated_gradients.npz") as attributions:
            assert attributions["maps"].shape == (2, 5, 100)
        assert (workdir / f"results/figures/interpret/attributions/deepchrome-{cell}.png").exists()


def test_maps_and_attributions_have_their_controls_beside_them(workdir):
    """config.yaml's subset of the controls (H3K4me3 and H3K27me3 ablated, only the fully
    randomised model) for both methods, judged against the truth; a model that cannot see a
    mark gives it nothing, and the most predictive mark alone (H3K4me3) does not draw
    H3K4me1."""
    for cell in CELLS:
        table = pd.read_csv(workdir / f"results/interpret/controls/deepchrome/{cell}.tsv", sep="\t")
        assert table["reference"].eq("demo truth").all() and table["cell"].eq(cell).all()
        verdicts = table[table["mark"] == "all"].set_index(["method", "control"])["passes"]
        assert set(verdicts.index) == {
            (method, control)
            for method in ("optimisation", "integrated_gradients")
            for control in CONTROLS
        }
        rows = table[table["mark"] != "all"]
        randomised = rows[rows["control"] == "model_randomisation"]
        assert set(randomised["control_model"]) == {"top 4 of 4 layers re-initialised"}
        assert randomised["value"].between(-1, 1).all()
        ablated = rows[rows["control"] == "mark_ablation"]
        assert sorted(set(ablated["mark"])) == ["H3K27me3", "H3K4me3"]
        assert (ablated["value"] == 0).all() and ablated["passes"].all()
        single = rows[(rows["control"] == "single_mark") & (rows["mark"] == "H3K4me1")]
        assert set(single["control_model"]) == {"logistic regression on H3K4me3 alone"}
        assert single["passes"].all()
        assert verdicts.loc[(slice(None), ["mark_ablation", "single_mark"])].all()
        with np.load(workdir / f"results/interpret/controls/deepchrome/{cell}.npz") as maps:
            assert maps["profiles"].shape == (len(maps["names"]), 5, 100)
    summary = pd.read_csv(workdir / "results/tables/interpretation_controls.tsv", sep="\t")
    assert set(summary["cell"]) == set(CELLS) and set(summary["control"]) == set(CONTROLS)
    assert "interpretation_controls.html" in (workdir / "report.html").read_text()


def test_gan_measures_every_class_and_mark(workdir):
    metrics = pd.read_csv(workdir / "results/interpret/gan/E003/metrics.tsv", sep="\t")
    assert len(metrics) == 10 and set(metrics["class"]) == {"low", "high"}
    assert metrics["classifier_agreement"].between(0, 1).all()
    assert (metrics["total_ratio"] > 0).all() and (metrics["diversity_ratio"] > 0).all()
    with np.load(workdir / "results/interpret/gan/E003/samples.npz") as samples:
        assert samples["low"].shape == (50, 5, 100) and samples["low"].min() >= 0


def test_profiles_qc_and_tracks_agree_with_the_dataset(workdir):
    dataset = CellDataset.load(workdir / "results/datasets/E003.npz")
    profiles = pd.read_csv(workdir / "results/interpret/profiles/E003.tsv", sep="\t")
    high = profiles[(profiles["label"] == "high") & (profiles["mark"] == "H3K4me3")]
    expected = dataset.counts[dataset.labels == 1, 3].mean(axis=0)
    assert high.sort_values("bin_offset")["mean_count"].to_numpy() == pytest.approx(
        expected, rel=1e-5
    )

    reads = pd.read_csv(workdir / "results/tables/qc_reads.tsv", sep="\t")
    report = json.loads((workdir / "results/qc/reads/E003-H3K4me3.json").read_text())
    row = reads[(reads["cell"] == "E003") & (reads["mark"] == "H3K4me3")].iloc[0]
    assert row["reads_total"] == report["reads_total"] and row["reads_kept"] == report["reads_kept"]
    assert 0 < row["fraction_in_windows"] < 1
    labels = pd.read_csv(workdir / "results/tables/qc_labels.tsv", sep="\t")
    assert set(labels["cell"]) == set(CELLS)

    # The leftmost window of chr1 overlaps no earlier one: its bins read back as its counts.
    on_chr1 = np.flatnonzero(dataset.chrom == "chr1")
    first = on_chr1[np.argmin(dataset.tss[on_chr1])]
    start = int(dataset.tss[first] + dataset.bin_offsets[0])
    with pyBigWig.open(str(workdir / "results/tracks/E003/H3K4me3.bw")) as bigwig:
        values = bigwig.stats("chr1", start, start + 10_000, type="mean", nBins=100)
    assert values == pytest.approx(dataset.counts[first, 3].tolist())


def test_report_is_one_self_contained_html_file_with_every_category(workdir):
    page = (workdir / "report.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=\"https?:", page)
    for category in CATEGORIES:
        assert f'"{category}"' in page
    for figure in ("qc.png", "training_curves.png", "deepchrome-E003.png", "E003-profiles.png"):
        assert figure in page


def test_landing_page_summarises_the_run_in_words_and_a_table(workdir):
    page = (workdir / "report.html").read_text()
    assert "Simulated data" in page
    assert "2 cell types (E003, E004)" in page
    assert "Test AUC (area under the ROC curve; 0.5 is chance)" in page
    # The configured lists read as words, never as Python lists (the page's rule parameters do).
    assert "Cell types: [" not in page and "Models: [" not in page


def test_report_zip_holds_the_page_and_the_result_files(workdir):
    with zipfile.ZipFile(workdir / "report.zip") as archive:
        names = archive.namelist()
        assert "report/report.html" in names
        (auc,) = [name for name in names if name.endswith("/auc.tsv")]
        assert archive.read(auc) == (workdir / "results/tables/auc.tsv").read_bytes()


# Clicks as a user would (menu links by text, view buttons by row), then marks the body.
CLICK_DRIVER = """<script>
const clicks = CLICKS;
function click(step) {
  if (step.startsWith("view:")) {
    const row = [...document.querySelectorAll("tr")].find(r => r.textContent.trim() === step.slice(5));
    row.querySelector("a[iconname=eye]").click();
  } else {
    [...document.querySelectorAll("a")].find(a => a.textContent.trim() === step).click();
  }
}
function next(i) {
  if (i === clicks.length) { document.body.setAttribute("data-clicked", "all"); return; }
  click(clicks[i]);
  setTimeout(() => next(i + 1), 300);
}
setTimeout(() => next(0), 300);
</script>"""


def rendered_dom(report, clicks):
    """The DOM of ``report`` after clicking, in order, menu links by text and result rows'
    view buttons by path ("view:<path>"), as headless Chromium renders it."""
    driver = CLICK_DRIVER.replace("CLICKS", json.dumps(clicks))
    page = report.read_text()
    driven = report.with_name("driven.html")
    end = page.rfind("</body>")
    driven.write_text(page[:end] + driver + page[end:])
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
            driven.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (make tools installs it); the report is not rendered",
)
def test_report_renders_in_headless_chromium_and_shows_the_auc_table(workdir):
    dom = rendered_dom(
        workdir / "report.html", ["Per-cell AUC", "view:results/report/auc_wide.html"]
    )
    assert 'data-clicked="all"' in dom  # the report's scripts ran and every click found its target
    assert 'id="loading-screen" style="display: none;"' in dom
    frame = re.search(r'<iframe src="data:text/html;[^"]*base64,([^"]+)"', dom)
    assert frame, "the AUC table is not displayed"
    table = base64.b64decode(frame.group(1)).decode()
    auc = pd.read_csv(workdir / "results/tables/auc_wide.tsv", sep="\t").set_index("cell")
    for cell in CELLS:
        assert re.search(rf"<td>{cell}</td>\s*<td>{auc.loc[cell, 'deepchrome']:.3f}</td>", table)
