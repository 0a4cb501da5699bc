"""The gene table and labels rules on a GENCODE-style GTF with a TPM matrix or RSEM files."""

import gzip

import pandas as pd
import pytest

from .workflow_helpers import run_workflow, workflow_copy

pytestmark = [pytest.mark.workflow]

# Six genes: five protein-coding (one with a canonical transcript), one lncRNA.
GENES = [
    ("ENSG00000000001.3", "chr1", 10_000, 20_000, "+", "protein_coding"),
    ("ENSG00000000002.1", "chr1", 40_000, 50_000, "-", "protein_coding"),
    ("ENSG00000000003.14", "chr1", 70_000, 80_000, "+", "protein_coding"),
    ("ENSG00000000004.2", "chr2", 10_000, 12_000, "+", "protein_coding"),
    ("ENSG00000000005.6", "chr2", 30_000, 33_000, "-", "protein_coding"),
    ("ENSG00000000006.1", "chr2", 60_000, 61_000, "+", "lncRNA"),
]


def gencode_gtf() -> str:
    lines = []
    for gene_id, chrom, start, end, strand, biotype in GENES:
        attributes = f'gene_id "{gene_id}"; gene_type "{biotype}"; gene_name "G{gene_id[-4:]}";'
        lines.append(f"{chrom}\tHAVANA\tgene\t{start}\t{end}\t.\t{strand}\t.\t{attributes}")
        lines.append(f"{chrom}\tHAVANA\texon\t{start}\t{start + 999}\t.\t{strand}\t.\t{attributes}")
    canonical = 'gene_id "ENSG00000000003.14"; transcript_id "ENST3.1"; tag "Ensembl_canonical";'
    lines.append(f"chr1\tHAVANA\ttranscript\t75000\t80000\t.\t+\t.\t{canonical}")
    return "\n".join(lines) + "\n"


TPM = {
    "E003": [5.0, 0.0, 10.0, 1.0, 2.0, 50.0, 7.0, 3.0],
    "E004": [0.0, 8.0, 1.0, 9.0, 0.5, 50.0, 7.0, 3.0],
}
MATRIX_IDS = [gene for gene, *_ in GENES] + ["ENSG00000000099.1", "ERCC-00002"]


def run_prepare(tmp_path, expression_config: str, targets: list[str]):
    overlay = (
        "cells: [E003, E004]\n"
        "demo: {enabled: false}\n"
        "annotation_format: gtf\n"
        "annotation: {tss: canonical_transcript}\n"
        "urls: {annotation: 'file:genes.gtf.gz'}\n" + expression_config
    )
    workdir = workflow_copy(tmp_path / "run", {"own.yaml": overlay})
    with gzip.open(workdir / "genes.gtf.gz", "wt") as handle:
        handle.write(gencode_gtf())
    run_workflow(workdir, *targets, configs=["own.yaml"])
    return workdir


TARGETS = [
    "results/genes/genes.tsv",
    "results/labels/E003.tsv",
    "results/labels/E004.tsv",
    "results/tables/qc_expression.tsv",
]


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("matrix")
    table = pd.DataFrame({"gene_id": MATRIX_IDS, **TPM})
    with gzip.open(tmp_path / "tpm.tsv.gz", "wt") as handle:
        table.to_csv(handle, sep="\t", index=False)
    config = f"expression: {{unit: tpm, path: '{tmp_path / 'tpm.tsv.gz'}'}}\n"
    return run_prepare(tmp_path, config, TARGETS)


def test_gene_table_holds_the_protein_coding_genes_of_the_matrix(matrix_run):
    genes = pd.read_csv(matrix_run / "results/genes/genes.tsv", sep="\t")
    assert genes["gene_id"].tolist() == [f"ENSG0000000000{n}" for n in range(1, 6)]
    # + strand: the gene's first base, or its canonical transcript's; - strand: the last base
    assert genes["tss"].tolist() == [9_999, 49_999, 74_999, 9_999, 32_999]


def test_labels_are_tpm_at_least_the_samples_median(matrix_run):
    labels = pd.read_csv(matrix_run / "results/labels/E004.tsv", sep="\t")
    # E004 over the five genes: 0, 8, 1, 9, 0.5 -> median 1
    assert labels["median_expression"].iloc[0] == 1.0
    assert labels["label"].tolist() == [0, 1, 1, 1, 0]


def test_qc_table_counts_spike_ins_and_genes_the_annotation_lacks(matrix_run):
    qc = pd.read_csv(matrix_run / "results/tables/qc_expression.tsv", sep="\t")
    assert qc[["sample", "spike_ins", "not_in_annotation", "genes_kept"]].values.tolist() == [
        ["E003", 1, 1, 7],
        ["E004", 1, 1, 7],
    ]


def rsem_file(counts: list[float]) -> str:
    rows = ["gene_id\ttranscript_id(s)\tlength\teffective_length\texpected_count\tTPM\tFPKM"]
    for gene, count in zip(MATRIX_IDS, counts, strict=True):
        rows.append(f"{gene}\tENST\t1000\t900\t{count}\t0\t0")
    return "\n".join(rows) + "\n"


def test_per_sample_rsem_counts_become_tpm_labels(tmp_path):
    (tmp_path / "E003.genes.results").write_text(rsem_file(TPM["E003"]))
    (tmp_path / "E004.genes.results").write_text(rsem_file(TPM["E004"]))
    config = (
        "expression:\n  format: rsem\n  unit: counts\n  value_column: expected_count\n"
        f"  files: {{E003: '{tmp_path / 'E003.genes.results'}', "
        f"E004: 'file:{tmp_path / 'E004.genes.results'}'}}\n"
    )
    workdir = run_prepare(tmp_path, config, TARGETS)
    labels = pd.read_csv(workdir / "results/labels/E003.tsv", sep="\t")
    # every gene has 1000 exonic bases in the GTF, so TPM orders genes as counts do:
    # E003 over the five genes: 5, 0, 10, 1, 2 -> labels 1 0 1 0 1
    assert labels["label"].tolist() == [1, 0, 1, 0, 1]
    qc = pd.read_csv(workdir / "results/tables/qc_expression.tsv", sep="\t")
    # counts: the gene the annotation lacks is left out before TPM
    assert qc["genes_kept"].tolist() == [6, 6]
    assert (workdir / "resources/expression/E004.txt").exists()
