rule gene_table:
    input:
        annotation="resources/remc/gene_annotation.txt",
        rpkm="resources/remc/57epigenomes.RPKM.pc.gz",
        chrom_sizes=config["chrom_sizes"],
        published=config["published_genes"],
    output:
        "results/genes/genes.tsv",
    log:
        "logs/genes/gene_table.log",
    conda:
        "../../envs/prep.yaml"
    params:
        gene_set=config["gene_set"],
        annotation_format=config["annotation_format"],
        published_coordinates=config["published_coordinates"],
    script:
        "../scripts/gene_table.py"


rule tss_bins:
    input:
        genes="results/genes/genes.tsv",
        chrom_sizes=config["chrom_sizes"],
    output:
        "results/bins/tss_bins.bed",
    log:
        "logs/bins/tss_bins.log",
    conda:
        "../../envs/prep.yaml"
    params:
        bins=config["bins"],
    script:
        "../scripts/tss_bins.py"
