"""The own-data demo's files: a sheet naming every file, and ENCODE-style expression."""

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chromexpr.demo.__main__ import main as demo_main
from chromexpr.demo.own_data import NONCODING_GENES, SPIKE_INS, write_own_data_demo
from chromexpr.samples import check_sample_table, read_sample_sheet

SAMPLES = ["K562", "GM12878_rep1", "HepG2"]
MARKS = ["H3K4me3", "H3K27me3", "H3K9me3"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-data")
    sheet = write_own_data_demo(folder, SAMPLES, MARKS, n_genes=60)
    return folder, sheet


def test_the_sheet_names_every_file_and_passes_its_checks(demo):
    _, sheet = demo
    table = read_sample_sheet(sheet)
    check_sample_table(table, MARKS, sheet)
    assert set(table["format"]) == {"bam", "bigwig", "bed"}
    assert (table[table["mark"] == "H3K9me3"]["format"] == "bigwig").all()
    assert len(table[(table["sample"] == "K562") & (table["mark"] == "H3K4me3")]) == 2
    for path in table["path"].str.removeprefix("file:"):
        assert Path(path).exists(), path


def test_rsem_tpm_ranks_genes_as_the_rpkm_matrix_and_adds_noncoding_and_spike_ins(demo):
    folder, _ = demo
    rpkm = pd.read_csv(folder / "generated/57epigenomes.RPKM.pc.gz", sep="\t", index_col=0)
    rsem = pd.read_csv(folder / "K562.genes.results", sep="\t")
    assert list(rsem.columns) == [
        "gene_id",
        "transcript_id(s)",
        "length",
        "effective_length",
        "expected_count",
        "TPM",
        "FPKM",
    ]
    assert set(SPIKE_INS) <= set(rsem["gene_id"])
    coding = rsem[rsem["gene_id"].str.match(r"ENSG0")]
    unversioned = coding["gene_id"].str.replace(r"\.\d+$", "", regex=True)
    assert coding["gene_id"].str.contains(r"\.\d+$").mean() > 0.9
    tpm = pd.Series(coding["TPM"].to_numpy(), index=unversioned)
    order = rpkm["K562"].reindex(tpm.index)
    high_rpkm = order >= order.median()
    high_tpm = tpm >= tpm.median()
    assert (high_rpkm == high_tpm).mean() > 0.97  # rounding to 2 decimals only
    assert np.isclose(tpm.sum(), 1e6, rtol=1e-3)


def test_the_gtf_has_versioned_ids_canonical_transcripts_and_lncrna_genes(demo):
    folder, _ = demo
    with gzip.open(folder / "gencode.gtf.gz", "rt") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    genes = [line for line in lines if line.split("\t")[2] == "gene"]
    assert all(line.startswith("chr") for line in lines)
    assert all(re.search(r'gene_id "ENSG\d+\.\d+"', line) for line in genes)
    assert sum('gene_type "lncRNA"' in line for line in genes) == NONCODING_GENES
    transcripts = [line for line in lines if line.split("\t")[2] == "transcript"]
    assert len(transcripts) == len(genes) and all("Ensembl_canonical" in t for t in transcripts)


def test_the_command_line_asks_for_three_cells_with_a_usage_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        demo_main(["--style", "own-data", "--out", str(tmp_path), "--cells", "K562", "HepG2"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage:") and "give --cells three or more names (got 2" in error
    assert list(tmp_path.iterdir()) == []
