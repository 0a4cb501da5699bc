"""config/encode-hg38.yaml: the ENCODE GRCh38 example passes the workflow's parse-time checks
and plans every download and count, without downloading anything (CI has no network)."""

import re

import pytest
import yaml

from chromexpr.samples import check_sample_table, read_sample_sheet

from .workflow_helpers import REPO, copy_workflow, snakemake

CONFIG = yaml.safe_load((REPO / "config/encode-hg38.yaml").read_text())
SHEET = read_sample_sheet(REPO / CONFIG["samples"])
ENCODE_FILE = re.compile(r"https://www\.encodeproject\.org/files/(ENCFF\w{6})/@@download/\1\.(\w+)")


def test_every_sample_has_every_mark_and_the_sheet_passes_its_checks():
    check_sample_table(SHEET, CONFIG["marks"], CONFIG["samples"])
    assert sorted(SHEET["sample"].unique()) == sorted(CONFIG["cells"])
    assert sorted(CONFIG["expression"]["files"]) == sorted(CONFIG["cells"])


@pytest.mark.parametrize(
    "url",
    [*SHEET["path"], *CONFIG["expression"]["files"].values()],
)
def test_every_file_is_an_encode_download_url_of_its_accession(url):
    match = ENCODE_FILE.fullmatch(url)
    assert match, url
    assert match.group(2) in ("bam", "tsv")


def test_no_encode_file_is_listed_twice():
    urls = [*SHEET["path"], *CONFIG["expression"]["files"].values()]
    assert len(set(urls)) == len(urls)


def test_the_dry_run_plans_every_download_and_count(tmp_path):
    workdir = copy_workflow(tmp_path)
    plan = snakemake(workdir, "-n", "--configfile", "config/encode-hg38.yaml").stdout
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", plan, flags=re.MULTILINE))
    assert jobs["download_sample"] == str(len(SHEET))
    assert jobs["download_expression"] == str(len(CONFIG["cells"]))
    assert jobs["download_annotation"] == "1"
    assert jobs["count_reads"] == str(len(CONFIG["cells"]) * len(CONFIG["marks"]))
    assert jobs["train_model"] == str(len(CONFIG["cells"]))
