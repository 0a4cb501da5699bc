rule gene_table:
    input:
        annotation="resources/remc/gene_annotation.txt",
        rpkm="resources/remc/57epigenomes.RPKM.pc.gz",
        chrom_sizes=config["chrom_sizes"],
        published=config["published_genes"],
    output:
        "results/genes/genes.tsv",
    params:
        gene_set=config["gene_set"],
        annotation_format=config["annotation_format"],
        published_coordinates=config["published_coordinates"],
    log:
        "logs/genes/gene_table.log",
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/gene_table.py"


rule tss_bins:
    input:
        genes="results/genes/genes.tsv",
        chrom_sizes=config["chrom_sizes"],
    output:
        "results/bins/tss_bins.bed",
    params:
        bins=config["bins"],
    log:
        "logs/bins/tss_bins.log",
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/tss_bins.py"
