from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/differential_common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/bam.smk"
include: "workflow/rules/bins.smk"
include: "workflow/rules/counts.smk"
include: "workflow/rules/labels.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/crosscell.smk"
include: "workflow/rules/differential.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        targets.all_targets(config, SAMPLE_TABLE),
