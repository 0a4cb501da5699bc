"""TSV tables as HTML pages that the report shows inline, one page per table."""

from chromexpr.logs import step_log
from chromexpr.report import write_table_html

with step_log(snakemake.log[0]):
    for tsv, page, title in zip(
        snakemake.input, snakemake.output, snakemake.params.titles, strict=True
    ):
        write_table_html(tsv, page, title)
