"""Readers and writers of the file formats chromexpr meets (REMC, BED, published CSVs)."""
