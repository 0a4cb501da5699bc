"""Fetch one file (reads, RPKM table or annotation) from its configured URL."""

from chromexpr.download import download
from chromexpr.logs import step_log

settings = snakemake.params.settings
with step_log(snakemake.log[0]):
    download(
        snakemake.params.url,
        snakemake.output[0],
        retries=settings["retries"],
        backoff_seconds=settings["backoff_seconds"],
        timeout_seconds=settings["timeout_seconds"],
        stall_limit_seconds=settings["stall_limit_seconds"],
        cache_dir=settings["cache_dir"],
    )
