"""GENCODE / Ensembl GTF and GFF3 annotations: ids, biotypes, canonical TSS, gene lengths."""

import pytest

from chromexpr.errors import InputFormatError, named_as
from chromexpr.genome.tss import annotation_tss
from chromexpr.io.gene_info import filter_biotypes, read_annotation

from .text_files import write

# GENCODE style: versioned ids, gene_type, a canonical tag, a lncRNA, a chrY PAR copy.
GENCODE_GTF = "\n".join(
    [
        "##description: a GENCODE-style excerpt",
        'chr1\tHAVANA\tgene\t1000\t5000\t.\t+\t.\tgene_id "ENSG00000000003.14"; '
        'gene_type "protein_coding"; gene_name "TSPAN6"; level 2;',
        'chr1\tHAVANA\ttranscript\t1000\t5000\t.\t+\t.\tgene_id "ENSG00000000003.14"; '
        'transcript_id "ENST1.1"; gene_type "protein_coding"; tag "basic";',
        'chr1\tHAVANA\texon\t1000\t1099\t.\t+\t.\tgene_id "ENSG00000000003.14"; transcript_id "ENST1.1";',
        'chr1\tHAVANA\texon\t4901\t5000\t.\t+\t.\tgene_id "ENSG00000000003.14"; transcript_id "ENST1.1";',
        'chr1\tHAVANA\ttranscript\t2000\t5000\t.\t+\t.\tgene_id "ENSG00000000003.14"; '
        'transcript_id "ENST2.3"; tag "basic"; tag "Ensembl_canonical";',
        'chr1\tHAVANA\texon\t2000\t2199\t.\t+\t.\tgene_id "ENSG00000000003.14"; transcript_id "ENST2.3";',
        'chr1\tHAVANA\texon\t4951\t5000\t.\t+\t.\tgene_id "ENSG00000000003.14"; transcript_id "ENST2.3";',
        'chr1\tHAVANA\tCDS\t2000\t2100\t.\t+\t0\tgene_id "ENSG00000000003.14"; transcript_id "ENST2.3";',
        'chrX\tHAVANA\tgene\t100\t900\t.\t-\t.\tgene_id "ENSG00000000005.6"; '
        'gene_type "protein_coding"; gene_name "TNMD";',
        'chr2\tHAVANA\tgene\t300\t400\t.\t+\t.\tgene_id "ENSG00000230000.1"; '
        'gene_type "lncRNA"; gene_name "LINC1";',
        'chrX\tHAVANA\tgene\t5000\t6000\t.\t+\t.\tgene_id "ENSG00000182378.14"; '
        'gene_type "protein_coding"; gene_name "PLCXD1";',
        'chrY\tHAVANA\tgene\t5000\t6000\t.\t+\t.\tgene_id "ENSG00000182378.14_PAR_Y"; '
        'gene_type "protein_coding"; gene_name "PLCXD1";',
        "",
    ]
)

# Ensembl style GFF3: gene:/transcript: prefixes, biotype, exons linked by Parent only.
ENSEMBL_GFF3 = "\n".join(
    [
        "##gff-version 3",
        "1\tGRCh38\tchromosome\t1\t248956422\t.\t.\t.\tID=chromosome:1",
        "1\tensembl_havana\tgene\t1000\t5000\t.\t-\t.\tID=gene:ENSG00000000003;Name=TSPAN6;"
        "biotype=protein_coding;version=14",
        "1\tensembl_havana\tmRNA\t1000\t4000\t.\t-\t.\tID=transcript:ENST2;Parent=gene:ENSG00000000003;"
        "tag=basic,Ensembl_canonical",
        "1\tensembl_havana\texon\t1000\t1199\t.\t-\t.\tParent=transcript:ENST2;Name=ENSE1",
        "1\tensembl_havana\texon\t3901\t4000\t.\t-\t.\tParent=transcript:ENST2;Name=ENSE2",
        "1\thavana\tncRNA_gene\t300\t400\t.\t+\t.\tID=gene:ENSG00000230000;Name=LINC1;biotype=lncRNA",
        "",
    ]
)


def test_gencode_gtf_ids_lose_their_version_and_par_y_copies_are_left_out(tmp_path):
    table = read_annotation(write(tmp_path / "g.gtf.gz", GENCODE_GTF, gz=True), "gtf")
    assert table["gene_id"].tolist() == [
        "ENSG00000000003",
        "ENSG00000000005",
        "ENSG00000230000",
        "ENSG00000182378",
    ]
    assert table.set_index("gene_id").loc["ENSG00000182378", "chrom"] == "chrX"


def test_biotype_filter_keeps_protein_coding_genes(tmp_path):
    table = read_annotation(write(tmp_path / "g.gtf", GENCODE_GTF), "gtf")
    kept = filter_biotypes(table, ["protein_coding"], "g.gtf")
    assert "ENSG00000230000" not in kept["gene_id"].tolist()
    assert len(kept) == 3
    assert len(filter_biotypes(table, None, "g.gtf")) == 4


def test_biotype_filter_on_an_annotation_without_biotypes_names_the_key(tmp_path):
    text = 'chr1\tx\tgene\t1\t10\t.\t+\t.\tgene_id "G1";\n'
    table = read_annotation(write(tmp_path / "g.gtf", text), "gtf")
    with pytest.raises(InputFormatError, match="annotation.biotypes"):
        filter_biotypes(table, ["protein_coding"], "g.gtf")


def test_gene_length_is_the_union_of_its_exons(tmp_path):
    table = read_annotation(write(tmp_path / "g.gtf", GENCODE_GTF), "gtf").set_index("gene_id")
    # exons 1000-1099, 4901-5000, 2000-2199, 4951-5000 (inside 4901-5000): 100 + 100 + 200
    assert table.loc["ENSG00000000003", "length"] == 400
    # no exon records: the gene's span
    assert table.loc["ENSG00000000005", "length"] == 801


def test_tss_from_the_gene_or_from_its_canonical_transcript(tmp_path):
    table = read_annotation(write(tmp_path / "g.gtf", GENCODE_GTF), "gtf")
    gene = dict(zip(table["gene_id"], annotation_tss(table, "gene"), strict=True))
    canonical = dict(
        zip(table["gene_id"], annotation_tss(table, "canonical_transcript"), strict=True)
    )
    assert gene["ENSG00000000003"] == 999 and canonical["ENSG00000000003"] == 1999
    # minus strand, no canonical transcript: the gene's last base either way
    assert gene["ENSG00000000005"] == canonical["ENSG00000000005"] == 899


def test_ensembl_gff3_links_exons_and_canonical_transcripts_by_parent(tmp_path):
    table = read_annotation(write(tmp_path / "g.gff3", ENSEMBL_GFF3), "gff3")
    assert table["gene_id"].tolist() == ["ENSG00000000003", "ENSG00000230000"]
    assert table["biotype"].tolist() == ["protein_coding", "lncRNA"]
    assert table["length"].tolist() == [300, 101]
    # minus strand: the canonical transcript ends at 4000, 0-based 3999
    assert annotation_tss(table, "canonical_transcript").tolist() == [3999, 299]


def test_malformed_gtf_line_names_file_and_line(tmp_path):
    text = GENCODE_GTF.replace("chr1\tHAVANA\texon\t1000\t1099\t.", "chr1\tHAVANA\texon\t1000", 1)
    path = write(tmp_path / "g.gtf", text)
    with pytest.raises(InputFormatError, match=r"g\.gtf:4: expected 9 tab-separated fields"):
        read_annotation(path, "gtf")


def test_gtf_read_as_gff3_names_file_and_line(tmp_path):
    path = write(tmp_path / "g.gtf", GENCODE_GTF)
    with pytest.raises(InputFormatError, match=r"g\.gtf:2: attribute .* is not key=value"):
        read_annotation(path, "gff3")


def test_an_annotation_error_names_the_users_file_not_the_downloaded_copy(tmp_path):
    """The jobs read urls.annotation's download (resources/remc/gene_annotation.txt); their
    errors name the file the user gave, then the copy."""
    copy = write(
        tmp_path / "gene_annotation.txt", '##x\nchr1\tx\tgene\tA\t10\t.\t+\t.\tgene_id "G1";\n'
    )
    with (
        pytest.raises(
            InputFormatError,
            match=rf"^file:data/gencode.gtf.gz \(downloaded to {copy}\):2: ",
        ),
        named_as(copy, "file:data/gencode.gtf.gz"),
    ):
        read_annotation(copy, "gtf")
    other = write(tmp_path / "other.gtf", 'chr1\tx\tgene\tA\t10\t.\t+\t.\tgene_id "G1";\n')
    with (
        pytest.raises(InputFormatError, match=rf"^{other}:1: "),
        named_as(copy, "file:data/gencode.gtf.gz"),
    ):
        read_annotation(other, "gtf")
