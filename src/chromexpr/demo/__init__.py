"""A seeded offline mirror of the REMC files, in the exact REMC formats, for demos and tests.

`write_demo_mirror` writes the three kinds of file the workflow downloads (gene annotation, RPKM
table, one tagAlign per cell type and mark) so the download rule can fetch them with ``file:``
URLs. Same arguments, byte-identical files.

Genes are real hg19 RefSeq genes (chr1 and chr21) from pybedtools' bundled ``hg19.gff``, with
synthetic Ensembl ids drawn at random so that Ensembl-id order is not genomic order.

Modules: ``biology`` (the model of expression and marks, documented there), ``mirror`` (the
files), ``own_data`` (the same biology as a study's own files), ``truth`` (the expected class
profiles that the model implies, the yardstick of interpretations); ``__main__`` is
``python -m chromexpr.demo``.
"""

from chromexpr.demo.biology import DEMO_MARKS
from chromexpr.demo.mirror import (
    GENE_INFO_NAME,
    RPKM_NAME,
    DemoSummary,
    tagalign_name,
    write_demo_mirror,
)

__all__ = [
    "DEMO_MARKS",
    "GENE_INFO_NAME",
    "RPKM_NAME",
    "DemoSummary",
    "tagalign_name",
    "write_demo_mirror",
]
