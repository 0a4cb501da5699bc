rule gene_positions:
    input:
        annotation="resources/remc/gene_annotation.txt",
        chrom_sizes=genome_file(),
        published=configured_file("published_genes"),
    output:
        "results/genes/positions.tsv",
    log:
        "logs/genes/gene_positions.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        gene_set=config["gene_set"],
        annotation=config["urls"]["annotation"],
        annotation_format=config["annotation_format"],
        published_coordinates=config["published_coordinates"],
        max_dropped_share=config["max_dropped_gene_share"],
        biotypes=config["annotation"]["biotypes"],
        tss=config["annotation"]["tss"],
    script:
        "../scripts/gene_positions.py"


# The counts follow the positions, which do not read the expression input: an edited RPKM
# value reruns the gene table, labels and datasets, never the counting.
rule gene_table:
    input:
        positions="results/genes/positions.tsv",
        expression=gene_table_expression(),
    output:
        "results/genes/genes.tsv",
    log:
        "logs/genes/gene_table.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        gene_set=config["gene_set"],
        gene_column=expression_gene_column(),
    script:
        "../scripts/gene_table.py"


rule tss_bins:
    input:
        genes="results/genes/positions.tsv",
        chrom_sizes=genome_file(),
    output:
        "results/bins/tss_bins.bed",
    log:
        "logs/bins/tss_bins.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        bins=derived.bin_settings(config),
    script:
        "../scripts/tss_bins.py"
