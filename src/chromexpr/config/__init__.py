"""The workflow's config: its schema check (:mod:`.schema`), the sample table it describes
(:mod:`.sample_table`), the cross-key rules (:mod:`.rules`, run by :func:`check_config`), the
settings derived from it (:mod:`.derived`) and the files it asks for (:mod:`.targets`).

Everything here is a function of the config (and the sample table); the workflow's
``common.smk`` only calls it. Every rule raises :class:`chromexpr.errors.ConfigError` naming the
key, where it was set and what is allowed.
"""

from chromexpr.config.check import check_config, config_warnings
from chromexpr.config.sample_table import SampleTable, sample_table, without_bundled_cells

__all__ = [
    "SampleTable",
    "check_config",
    "config_warnings",
    "sample_table",
    "without_bundled_cells",
]
