"""Expression inputs: matrix, RSEM, salmon and featureCounts files, TPM, spike-ins, bad values."""

import json

import pandas as pd
import pytest

from chromexpr.config.rules.expression import check_expression
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.io.expression import (
    counts_to_tpm,
    expressed_gene_ids,
    expression_qc_table,
    read_expression_matrix,
    read_quantifier_file,
    sample_expression,
    write_sample_expression,
)

from .config_helpers import configured, samples_of
from .text_files import write

ANNOTATION = pd.DataFrame(
    {
        "gene_id": ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"],
        "length": [1000, 2000, 500],
    }
)

# ENCODE's RSEM genes.results: versioned ids, a gSpikein, an ERCC, a _PAR_Y copy.
RSEM = (
    "gene_id\ttranscript_id(s)\tlength\teffective_length\texpected_count\tTPM\tFPKM\t"
    "posterior_mean_count\n"
    "ENSG00000000003.14\tENST1.1,ENST2.3\t2000.5\t1850.1\t300.00\t12.50\t10.00\t300.00\n"
    "ENSG00000000005.6\tENST3.1\t1300.0\t1150.0\t0.00\t0.00\t0.00\t0.00\n"
    "ENSG00000000419.12\tENST4.1\t900.0\t750.0\t42.00\t5.25\t4.20\t42.00\n"
    "ENSG00000182378.14_PAR_Y\tENST5.1\t900.0\t750.0\t0.00\t0.00\t0.00\t0.00\n"
    "ERCC-00002\tERCC-00002\t1061.0\t911.0\t10.00\t1.00\t0.80\t10.00\n"
    "gSpikein_phiX174\tgSpikein_phiX174\t5386.0\t5236.0\t1.00\t0.10\t0.08\t1.00\n"
)

SALMON = (
    "Name\tLength\tEffectiveLength\tTPM\tNumReads\n"
    "ENSG00000000003.14\t2000\t1850\t12.5\t300\n"
    "ENSG00000000005.6\t1300\t1150\t0\t0\n"
)

FEATURECOUNTS = (
    '# Program:featureCounts v2.0.3; Command:"featureCounts" "-a" "genes.gtf" "sample.bam"\n'
    "Geneid\tChr\tStart\tEnd\tStrand\tLength\tsample.bam\n"
    "ENSG00000000003\tchr1;chr1\t1000;4901\t1099;5000\t+;+\t200\t100\n"
    "ENSG00000000005\tchrX\t100\t900\t-\t801\t200\n"
    "ENSG00000000419\tchr20\t10\t509\t-\t500\t100\n"
)


def test_rsem_reads_the_tpm_column_by_default(tmp_path):
    values = read_quantifier_file(write(tmp_path / "a.genes.results", RSEM), "rsem")
    assert values["ENSG00000000003.14"] == 12.5
    assert read_quantifier_file(tmp_path / "a.genes.results", "rsem", "FPKM", "fpkm").iloc[0] == 10


@pytest.mark.parametrize(
    ("file_format", "text", "unit", "first"),
    [
        ("rsem", RSEM, "fpkm", 10.0),
        ("rsem", RSEM, "counts", 300.0),
        ("salmon", SALMON, "counts", 300),
    ],
)
def test_rsem_and_salmon_read_the_column_of_the_unit(tmp_path, file_format, text, unit, first):
    # counts: expected_count (rsem) or NumReads (salmon), not TPM turned into TPM a second time
    path = write(tmp_path / "quant.tsv", text)
    assert read_quantifier_file(path, file_format, None, unit).iloc[0] == first


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "{format: rsem, unit: tpm, value_column: expected_count}",
            r"'expression.value_column': rsem column 'expected_count' holds counts, but "
            r"expression.unit is tpm",
        ),
        (
            "{format: salmon, unit: counts, value_column: TPM}",
            r"'expression.value_column': salmon column 'TPM' holds tpm, but expression.unit is "
            r"counts",
        ),
        ("{format: salmon, unit: fpkm}", r"'expression.unit': salmon files have no fpkm column"),
        ("{format: rsem}", r"'expression.unit': rsem files have no rpkm column"),
    ],
)
def test_a_value_column_holding_another_unit_is_refused_at_parse_time(overlay, named):
    config = configured(f"expression: {overlay[:-1]}, files: 'quant/{{sample}}.tsv'}}")
    with pytest.raises(ConfigError, match=named):
        check_expression(config, samples_of(config))


def test_spike_ins_and_par_y_copies_are_left_out_and_counted(tmp_path):
    values = read_quantifier_file(write(tmp_path / "a.genes.results", RSEM), "rsem")
    kept, qc = sample_expression(values, ANNOTATION, "tpm", "a.genes.results")
    assert kept.index.tolist() == ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"]
    assert qc == {
        "genes_in_file": 6,
        "spike_ins": 2,
        "par_y_copies": 1,
        "not_in_annotation": 0,
        "genes_kept": 3,
    }


def test_salmon_quant_genes_file_is_read_by_name(tmp_path):
    values = read_quantifier_file(write(tmp_path / "quant.genes.sf.gz", SALMON, gz=True), "salmon")
    assert values.to_dict() == {"ENSG00000000003.14": 12.5, "ENSG00000000005.6": 0.0}


def test_featurecounts_takes_the_last_column_after_its_comment_line(tmp_path):
    values = read_quantifier_file(write(tmp_path / "counts.txt", FEATURECOUNTS), "featurecounts")
    assert values.tolist() == [100.0, 200.0, 100.0]


def test_raw_counts_become_tpm_with_annotated_lengths(tmp_path):
    values = read_quantifier_file(write(tmp_path / "counts.txt", FEATURECOUNTS), "featurecounts")
    kept, _ = sample_expression(values, ANNOTATION, "counts", "counts.txt")
    # reads per kb: 100/1, 200/2, 100/0.5 -> 100, 100, 200 of 400
    assert kept.round(6).tolist() == [250000.0, 250000.0, 500000.0]
    assert counts_to_tpm(pd.Series([1.0, 3.0]), pd.Series([1000, 1000])).tolist() == [
        250000.0,
        750000.0,
    ]


def test_raw_counts_of_genes_the_annotation_lacks_are_left_out_before_tpm():
    values = pd.Series([100.0, 100.0], index=["ENSG00000000003", "ENSG99"])
    kept, qc = sample_expression(values, ANNOTATION, "counts", "counts.txt", 0.5)
    assert kept.to_dict() == {"ENSG00000000003": 1e6}
    assert qc["not_in_annotation"] == 1


UNMATCHED = pd.Series(
    [1.0, 2.0, 3.0, 4.0, 5.0],
    index=["ENSG00000000003.1", "ENSG00000000005", "ENSG00000000419", "ENSG91", "ENSG92"],
)


def test_many_gene_ids_matching_no_annotation_gene_stop_the_job_naming_file_and_share():
    # 2 of 5 ids unmatched (40%): an annotation of another release would shrink the genes silently
    with pytest.raises(
        InputFormatError,
        match=r"a\.genes\.results: 2 of 5 gene ids \(40\.0%\) match no annotation gene, first "
        r"\['ENSG91', 'ENSG92'\]; more than expression\.max_unmatched_gene_share 0\.2",
    ):
        sample_expression(UNMATCHED, ANNOTATION, "tpm", "a.genes.results")


def test_unmatched_gene_ids_up_to_the_configured_share_are_a_warning(tmp_path, caplog):
    source = write(
        tmp_path / "m.tsv",
        "gene_id\tK562\n" + "".join(f"{gene}\t{value}\n" for gene, value in UNMATCHED.items()),
    )
    settings = {"format": "matrix", "unit": "tpm", "max_unmatched_gene_share": 0.4}
    with caplog.at_level("WARNING"):
        write_sample_expression(
            source, "K562", settings, ANNOTATION, tmp_path / "K562.tsv", tmp_path / "K562.json"
        )
    assert "2 of 5 gene ids (40.0%) match no annotation gene" in caplog.text
    assert json.loads((tmp_path / "K562.json").read_text())["not_in_annotation"] == 2


def test_matrix_gz_reads_the_asked_samples_by_a_named_gene_column(tmp_path):
    text = (
        "symbol\tgene\tK562\tGM12878\nA\tENSG00000000003.14\t1.5\t2\nB\tENSG00000000005.6\t0\t3\n"
    )
    path = write(tmp_path / "tpm.tsv.gz", text, gz=True)
    values = read_expression_matrix(path, ["GM12878"], gene_column="gene")
    assert values["GM12878"].to_dict() == {"ENSG00000000003.14": 2.0, "ENSG00000000005.6": 3.0}
    assert expressed_gene_ids([path], "gene") == ["ENSG00000000003", "ENSG00000000005"]


def test_matrix_without_a_sample_names_the_file_and_the_sample(tmp_path):
    path = write(tmp_path / "tpm.tsv", "gene_id\tK562\nENSG1\t1\n")
    with pytest.raises(InputFormatError, match=r"tpm\.tsv:1: samples \['HepG2'\] have no column"):
        read_expression_matrix(path, ["HepG2"])


def test_missing_value_column_names_the_file_and_the_key(tmp_path):
    path = write(tmp_path / "quant.genes.sf", SALMON)
    with pytest.raises(
        InputFormatError, match=r"quant\.genes\.sf:1: no column 'FPKM'.*value_column"
    ):
        read_quantifier_file(path, "salmon", "FPKM")


@pytest.mark.parametrize("bad", ["-1", "high", "NA"])
def test_negative_or_non_numeric_value_names_gene_and_line(tmp_path, bad):
    path = write(tmp_path / "a.genes.results", RSEM.replace("\t42.00\t5.25", f"\t42.00\t{bad}"))
    with pytest.raises(InputFormatError, match=r"a\.genes\.results:4: gene ENSG00000000419\.12"):
        read_quantifier_file(path, "rsem")


def test_gene_ids_matching_no_annotation_id_show_both_sides():
    values = pd.Series([1.0, 2.0], index=["TSPAN6", "TNMD"])
    with pytest.raises(InputFormatError, match=r"no gene id matches.*TSPAN6.*ENSG00000000003"):
        sample_expression(values, ANNOTATION, "tpm", "symbols.tsv")


def test_sample_table_and_qc_record_are_written(tmp_path):
    source = write(tmp_path / "a.genes.results", RSEM)
    settings = {"format": "rsem", "unit": "tpm", "value_column": None, "gene_column": None}
    out, qc = tmp_path / "K562.tsv", tmp_path / "K562.json"
    write_sample_expression(source, "K562", settings, ANNOTATION, out, qc)
    assert pd.read_csv(out, sep="\t").columns.tolist() == ["gene_id", "K562"]
    assert json.loads(qc.read_text())["spike_ins"] == 2
    table = expression_qc_table([qc])
    assert table[["sample", "unit", "genes_kept"]].values.tolist() == [["K562", "tpm", 3]]


def test_a_gene_listed_twice_names_both_lines_of_the_file(tmp_path):
    """Two rows of one gene (here two versions of it) name the file and both lines."""
    twice = RSEM + "ENSG00000000005.7\tENST9.1\t1300.0\t1150.0\t3.00\t1.00\t1.00\t3.00\n"
    source = write(tmp_path / "a.genes.results", twice)
    values = read_quantifier_file(source, "rsem")
    with pytest.raises(
        InputFormatError,
        match=r"a.genes.results:8: gene id ENSG00000000005 appears more than once "
        r"\(versions stripped\), on lines \[3, 8\]",
    ):
        sample_expression(values, ANNOTATION, "tpm", source)
