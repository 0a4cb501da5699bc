"""Tables for the Snakemake report: a TSV as a small self-contained HTML page.

The report offers TSV files only as downloads; an HTML page of the same table is shown inline.
"""

from __future__ import annotations

import html
import os

import pandas as pd

from chromexpr.atomic import atomic_path

STYLE = (
    "body{font-family:sans-serif;margin:1em}"
    "table{border-collapse:collapse;font-size:14px}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}"
)


def table_html(table: pd.DataFrame, title: str) -> str:
    """``table`` as an HTML page titled ``title``; numbers with 3 decimals, no index."""
    body = table.to_html(
        index=False,
        float_format=lambda value: f"{value:.3f}",
        na_rep="",
        border=0,
        table_id="table",
    )
    name = html.escape(title)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>'
        f"<style>{STYLE}</style></head><body><h3>{name}</h3>{body}</body></html>\n"
    )


def write_table_html(
    tsv: str | os.PathLike[str], out_html: str | os.PathLike[str], title: str
) -> None:
    """The TSV ``tsv`` as the HTML page ``out_html`` (written atomically)."""
    page = table_html(pd.read_csv(tsv, sep="\t"), title)
    with atomic_path(out_html) as tmp:
        tmp.write_text(page)
