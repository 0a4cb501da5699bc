"""The workflow imported as a Snakemake module by another Snakefile, run in that one's folder."""

import os

import pandas as pd
import pytest

from .workflow_helpers import REPO, copy_workflow, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

# The user's own config: nothing names a bundled file (chrom sizes, published AUCs), so the
# workflow's copies must be found from a folder that does not hold them.
USER_CONFIG = """
cells: [E003]
marks: [H3K4me3, H3K27me3]
demo: {enabled: true, seed: 2, n_genes: 300}
urls:
  reads: "file:resources/demo-mirror/{cell}-{mark}.tagAlign.gz"
  rpkm: "file:resources/demo-mirror/57epigenomes.RPKM.pc.gz"
  annotation: "file:resources/demo-mirror/Ensembl_v65.Gencode_v10.ENSG.gene_info"
export_processed: false
training: {recipe: fast, epochs: 1, seed: 1, device: cpu}
crosscell: {enabled: false}
interpret: {enabled: false}
"""
USER_SNAKEFILE = f"""
configfile: "config.yaml"


module chromexpr:
    snakefile:
        "{REPO / "Snakefile"}"
    config:
        config


use rule * from chromexpr
"""


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uses-chromexpr")
    (folder / "config.yaml").write_text(USER_CONFIG)
    (folder / "Snakefile").write_text(USER_SNAKEFILE)
    snakemake(folder, "all")
    return folder


def test_a_module_user_gets_the_auc_table_from_the_bundled_files(user_folder):
    assert not (user_folder / "resources/hg19.chrom.sizes").exists()
    auc = pd.read_csv(user_folder / "results/tables/auc.tsv", sep="\t")
    assert auc["cell"].tolist() == ["E003"] and auc["model"].tolist() == ["deepchrome"]
    comparison = pd.read_csv(user_folder / "results/tables/published_comparison.tsv", sep="\t")
    assert comparison.set_index("cell").loc["E003", "published_auc"] == 0.77


def test_bams_are_deleted_once_counted_and_nothing_is_left_to_run(user_folder):
    assert not list((user_folder / "results/bam").glob("*.bam"))
    assert (user_folder / "results/qc/reads/E003-H3K4me3.json").exists()
    assert "Nothing to be done" in snakemake(user_folder, "all", "-n").stdout


def test_a_module_user_with_rsem_expression_needs_no_urls_rpkm(tmp_path):
    """urls.rpkm is only for the RPKM matrix: a module config that reads RSEM files and leaves
    it out plans the run (it stopped with a bare KeyError 'rpkm' at parse time)."""
    (tmp_path / "config.yaml").write_text(
        """
cells: [E003]
marks: [H3K4me3, H3K27me3]
urls:
  reads: "file:data/{cell}-{mark}.tagAlign.gz"
  annotation: "file:data/genes.gene_info"
expression: {format: rsem, unit: tpm, files: "file:data/{sample}.genes.results"}
"""
    )
    (tmp_path / "Snakefile").write_text(USER_SNAKEFILE)
    planned = snakemake(tmp_path, "all", "-n").stdout
    assert "download_expression" in planned and "download_rpkm" not in planned


def test_the_parse_imports_the_workflows_own_src_before_an_installed_chromexpr(tmp_path):
    """A chromexpr found first on the path (an older one installed in the environment) is not
    the one the parse-time checks import: the workflow's src/ comes first, as for its jobs."""
    installed = tmp_path / "site" / "chromexpr"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("raise ImportError('the installed chromexpr')\n")
    folder = copy_workflow(tmp_path / "run")
    result = snakemake(
        folder,
        "-n",
        "--configfile",
        "config/config.yaml",
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
