"""Data QC tables and figure: reads per file, contig filtering, reads in TSS windows, labels."""

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.interpret.outputs import FLOAT_FORMAT
from chromexpr.interpret.qc import label_balance, plot_qc, reads_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    datasets = [CellDataset.load(path) for path in snakemake.input.datasets]
    reports = {
        tuple(key): path
        for key, path in zip(snakemake.params.report_keys, snakemake.input.reports, strict=True)
    }
    reads = reads_table(datasets, reports, counts_are_reads=snakemake.params.counts_are_reads)
    labels = label_balance(datasets)
    write_tsv(reads, snakemake.output.reads, float_format=FLOAT_FORMAT)
    write_tsv(labels, snakemake.output.labels, float_format=FLOAT_FORMAT)
    plot_qc(snakemake.output.png, reads, labels, snakemake.params.simulated)
