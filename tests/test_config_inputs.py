"""The config rules of what is read and counted (chromexpr.config.rules.inputs, .genome,
.expression) and the sample table a config describes, without Snakemake."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from chromexpr.config import SampleTable, sample_table, without_bundled_cells
from chromexpr.config.rules.expression import check_expression
from chromexpr.config.rules.genome import check_demo, check_genome, deprecations
from chromexpr.config.rules.inputs import (
    check_bins,
    check_counting,
    check_engine,
    check_feature_kinds,
    check_processed,
    feature_kind_warnings,
    other_kind_targets,
)
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.samples import check_sample_table, read_sample_sheet

from .config_helpers import DEMO, DEMO_CHROM_SIZES, configured, samples_of
from .workflow_helpers import REPO


def sheet_samples(formats: list[str]) -> SampleTable:
    """A sample table of one sample whose files have ``formats``."""
    rows = [
        {"sample": "K562", "mark": "H3K4me3", "replicate": str(i), "path": f"f{i}", "format": f}
        for i, f in enumerate(formats)
    ]
    return SampleTable(pd.DataFrame(rows), ["K562"], [])


def test_a_bin_size_that_does_not_divide_the_window_is_refused():
    with pytest.raises(
        ConfigError, match=r"'bins.bin_size': 300 does not divide the window 2 x 5000"
    ):
        check_bins(configured("bins: {window: 5000, bin_size: 300}"))


def test_multicov_without_bams_is_refused():
    with pytest.raises(
        ConfigError, match=r"'counting.engine': multicov counts BAMs; with bam: false"
    ):
        check_engine(configured("bam: false\ncounting: {engine: multicov}"))


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "genome: hg99",
            r"'genome': 'hg99' is neither a bundled assembly \['hg19', 'hg38', 'mm10'\]",
        ),
        (
            "genome: hg38\nchrom_sizes: resources/hg19.chrom.sizes",
            r"'chrom_sizes': deprecated, and conflicts",
        ),
    ],
)
def test_a_genome_that_is_neither_bundled_nor_a_file_is_refused(overlay, named):
    with pytest.raises(ConfigError, match=named):
        check_genome(configured(overlay))


def test_an_existing_chrom_sizes_file_serves_as_the_genome(tmp_path):
    sizes = tmp_path / "genome.fa.fai"
    sizes.write_text("chr1\t100\t0\t60\t61\n")
    check_genome(configured(f"genome: {sizes}"))


def test_the_deprecated_chrom_sizes_key_gives_a_warning_only_where_set():
    assert deprecations(configured()) == []
    assert deprecations(configured("chrom_sizes: resources/hg19.chrom.sizes")) == [
        "config key 'chrom_sizes' is deprecated: set genome to the chrom sizes path"
    ]


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "counting: {count: fragments}",
            r"'counting.count': fragments are counted in paired-end BAMs",
        ),
        ("counting: {engine: multicov, count: fragments}", r"'counting.count'"),
    ],
)
def test_fragments_are_counted_only_in_bams_of_a_sheet(overlay, named):
    config = configured(overlay)
    with pytest.raises(ConfigError, match=named):
        check_counting(config, samples_of(config))


def test_fragments_allow_other_rows_beside_the_bams_of_a_sheet():
    config = configured("samples: s.tsv\ncounting: {count: fragments}")
    check_counting(config, sheet_samples(["bam", "tagalign", "bed", "bigwig"]))
    with pytest.raises(ConfigError, match=r"these inputs are \['bed', 'tagalign'\]"):
        check_counting(config, sheet_samples(["tagalign", "bed"]))


def test_fragments_need_the_fast_engine():
    config = configured("samples: s.tsv\ncounting: {count: fragments, engine: multicov}")
    with pytest.raises(ConfigError, match=r"'counting.engine': count fragments needs engine fast"):
        check_counting(config, sheet_samples(["bam"]))
    check_counting(
        configured("samples: s.tsv\ncounting: {count: fragments}"), sheet_samples(["bam"])
    )


def test_multicov_refuses_a_sheet_with_tagalign_rows():
    config = configured("samples: s.tsv\ncounting: {engine: multicov}")
    with pytest.raises(
        ConfigError, match=r"the sheet s.tsv has tagalign/bed rows: use engine fast"
    ):
        check_counting(config, sheet_samples(["bam", "tagalign"]))


def test_bigwig_input_cannot_export_the_processed_layout():
    config = configured("input: bigwig\nexport_processed: true\nurls: {signal: 's/{cell}-{mark}'}")
    with pytest.raises(ConfigError, match=r"'export_processed': .* set export_processed: false"):
        check_processed(config, samples_of(config))


def test_a_sheet_with_bigwig_rows_of_a_cell_cannot_export_the_processed_layout():
    config = configured("samples: s.tsv\nexport_processed: true")
    with pytest.raises(
        ConfigError,
        match=r"'export_processed': .* the sheet s.tsv has bigwig rows for cells, line\(s\) "
        r"1 \(K562 H3K4me3\): set export_processed: false",
    ):
        check_processed(config, sheet_samples(["bam", "bigwig"]))
    check_processed(config, sheet_samples(["bam", "tagalign"]))


def test_bigwig_rows_of_a_prediction_only_sample_allow_the_processed_layout():
    rows = sheet_samples(["bigwig"]).table
    check_processed(
        configured("samples: s.tsv\nexport_processed: true"),
        SampleTable(rows, ["HepG2"], ["K562"]),
    )


def test_the_processed_source_needs_its_folder():
    config = configured("source: processed\nsplit: {method: published}")
    with pytest.raises(ConfigError, match=r"'processed_dir': required when source is processed"):
        check_processed(config, samples_of(config))


def test_a_mark_the_demo_does_not_simulate_is_refused():
    with pytest.raises(
        ConfigError, match=r"'marks': the demo \(demo.enabled\) has no model for \['H3K27ac'\]"
    ):
        check_demo(configured("marks: [H3K27ac]"), DEMO_CHROM_SIZES)


@pytest.mark.parametrize("key", ["genome", "chrom_sizes"])
def test_chrom_sizes_without_a_demo_chromosome_are_refused_naming_the_key_set(tmp_path, key):
    """The key named is the one the user set: genome (a path), or the deprecated chrom_sizes."""
    sizes = tmp_path / "no21.sizes"
    lines = Path(DEMO_CHROM_SIZES).read_text().splitlines()
    sizes.write_text("\n".join(line for line in lines if not line.startswith("chr21\t")) + "\n")
    with pytest.raises(ConfigError, match=rf"'{key}': {sizes} lacks \['chr21'\]"):
        check_demo(configured(f"{key}: {sizes}"), str(sizes))
    check_demo(configured(f"{key}: {sizes}", "demo: {enabled: false}"), str(sizes))


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        ("expression: {format: rsem}", r"'expression.files': required for format rsem"),
        (
            "expression: {format: salmon, files: {E003: a.sf, E004: b.sf}}",
            r"'expression.files': no file for \['E005'\]",
        ),
        (
            "expression: {format: featurecounts, unit: tpm, files: 'counts/{sample}.txt'}",
            r"'expression.unit': featureCounts output holds counts; set unit: counts",
        ),
        ("expression: {files: 'quant/{sample}.sf'}", r"'expression.files': for per-sample formats"),
    ],
)
def test_expression_files_must_suit_the_format(overlay, named):
    config = configured(overlay)
    with pytest.raises(ConfigError, match=named):
        check_expression(config, samples_of(config))


def test_a_matrix_needs_a_path_or_a_url():
    config = configured("expression: {path: null}", unset=("urls.rpkm",))
    with pytest.raises(
        ConfigError, match=r"'urls.rpkm': required when expression.format is matrix"
    ):
        check_expression(config, samples_of(config))


def test_a_per_sample_template_serves_every_cell():
    config = configured(
        "expression: {format: rsem, unit: tpm, files: 'quant/{sample}.genes.results'}"
    )
    check_expression(config, samples_of(config))


def test_the_url_template_describes_the_cells_then_the_other_targets():
    config = configured("predict: {enabled: true, samples: [E005, E006], source: [E003, E004]}")
    table = sample_table(config, None)
    assert table.cells == ["E003", "E004", "E005"] and table.targets == ["E005", "E006"]
    assert table.samples == ["E003", "E004", "E005", "E006"]
    assert list(dict.fromkeys(table.table["sample"])) == table.samples
    assert table.formats == {"tagalign"}


def test_without_cells_every_sheet_sample_but_the_targets_is_a_cell():
    sheet = sheet_samples(["bam"]).table.assign(sample=["K562"])
    sheet = pd.concat([sheet, sheet.assign(sample="HepG2")], ignore_index=True)
    config = configured("samples: s.tsv\npredict: {enabled: true, samples: [HepG2]}")
    del config["cells"]
    table = sample_table(config, sheet)
    assert table.cells == ["K562"] and table.targets == ["HepG2"]


def two_sample_sheet() -> pd.DataFrame:
    sheet = sheet_samples(["bam"]).table
    return pd.concat([sheet, sheet.assign(sample="HepG2")], ignore_index=True)


@pytest.mark.parametrize(
    ("own", "cells"),
    [("samples: s.tsv", ["K562", "HepG2"]), ("samples: s.tsv\ncells: [HepG2]", ["HepG2"])],
)
def test_the_bundled_demo_cells_do_not_reach_a_sheet_run(own, cells):
    """The Snakefile loads config/config.yaml (cells E003-E005) before the user's files: a
    sheet run whose own files leave cells out uses every sheet sample, and one that sets cells
    keeps them (was: 'cells': ['E003', 'E004', 'E005'] are not samples of the sheet)."""
    config = configured(own)
    sources = {str(REPO / "config/config.yaml"): DEMO, "own.yaml": yaml.safe_load(own)}
    bundled = REPO / "config/config.yaml"
    table = sample_table(without_bundled_cells(config, sources, bundled), two_sample_sheet())
    assert table.cells == cells


def test_cells_in_the_bundled_config_hold_where_it_names_the_sheet_too():
    own = "samples: s.tsv\ncells: [HepG2]"
    config = configured(own)
    sources = {str(REPO / "config/config.yaml"): yaml.safe_load(own)}
    assert without_bundled_cells(config, sources, REPO / "config/config.yaml") is config


def test_a_prediction_target_missing_from_the_sheet_is_named():
    config = configured("samples: s.tsv\ncells: [K562]\npredict: {enabled: true, samples: [A549]}")
    with pytest.raises(
        ConfigError, match=r"'predict.samples': \['A549'\] are not samples of the sheet s.tsv"
    ):
        sample_table(config, sheet_samples(["bam"]).table)


@pytest.mark.parametrize(
    ("overlay", "unset", "named"),
    [
        ("", ("urls.reads",), r"'urls.reads': required unless samples names a sample sheet"),
        ("input: bigwig\nexport_processed: false", (), r"'urls.signal': required when"),
        ("", ("cells",), r"'cells': required unless samples names a sample sheet"),
    ],
)
def test_without_a_sheet_the_cells_and_a_url_template_are_required(overlay, unset, named):
    config = configured(overlay, unset=unset)
    with pytest.raises(ConfigError, match=named):
        sample_table(config, None)


# Sample A's H3K4me3 is a bigWig, B's and C's are BAMs (sheet lines 2-7).
MIXED_SHEET = [
    ("A", "H3K4me3", "1", "bigwig"),
    ("A", "H3K27me3", "1", "bam"),
    ("B", "H3K4me3", "1", "bam"),
    ("B", "H3K27me3", "1", "bam"),
    ("C", "H3K4me3", "1", "bam"),
    ("C", "H3K27me3", "1", "bam"),
]


def sheet_run(tmp_path, overlay: str, rows=MIXED_SHEET) -> tuple[dict, SampleTable]:
    """The config and sample table of a run over a sheet of ``rows`` (checked as the workflow
    checks it when parsed)."""
    path = tmp_path / "s.tsv"
    lines = [f"{s}\t{m}\t{r}\t{s}-{m}-{r}.{f}\t{f}" for s, m, r, f in rows]
    path.write_text("sample\tmark\treplicate\tpath\tformat\n" + "\n".join(lines) + "\n")
    config = configured(f"samples: {path}\nmarks: [H3K4me3, H3K27me3]\n{overlay}")
    sheet = read_sample_sheet(path)
    check_sample_table(sheet, config["marks"], path)
    return config, sample_table(config, sheet)


def test_a_mark_of_another_kind_in_a_sample_the_run_does_not_use_is_not_looked_at(tmp_path):
    config, samples = sheet_run(tmp_path, "cells: [B, C]")
    check_feature_kinds(config, samples)
    assert feature_kind_warnings(config, samples) == []


def test_a_mark_mixing_kinds_among_the_cells_is_named_with_its_lines(tmp_path):
    config, samples = sheet_run(tmp_path, "cells: [A, B]")
    with pytest.raises(
        InputFormatError,
        match=r"s.tsv: mark H3K4me3 mixes bigWig signal \(lines \[2\]\) with reads \(lines "
        r"\[4\]\) among the cells \['A', 'B'\]",
    ):
        check_feature_kinds(config, samples)


def test_replicates_of_one_sample_and_mark_mixing_kinds_are_named_with_their_lines(tmp_path):
    rows = [*MIXED_SHEET, ("B", "H3K27me3", "2", "bigwig")]
    config, samples = sheet_run(tmp_path, "cells: [B, C]", rows)
    with pytest.raises(
        InputFormatError,
        match=r"sample B, mark H3K27me3 mixes bigWig signal \(lines \[8\]\) with reads "
        r"\(lines \[5\]\)",
    ):
        check_feature_kinds(config, samples)


def test_a_prediction_only_sample_of_another_kind_is_allowed_with_a_warning(tmp_path):
    config, samples = sheet_run(
        tmp_path,
        "cells: [B, C]\npredict: {enabled: true, samples: [A], source: [B, C]}",
    )
    check_feature_kinds(config, samples)
    assert other_kind_targets(samples) == {"A": {"H3K4me3": "signal"}}
    [warning] = feature_kind_warnings(config, samples)
    assert re.search(
        r"predict.samples: sample A of the sheet .*s.tsv has H3K4me3 as signal "
        r"\(the cells': reads\)",
        warning,
    ), warning
