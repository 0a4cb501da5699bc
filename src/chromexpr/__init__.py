"""chromexpr: REMC histone-modification reads to gene-expression models."""

__version__ = "0.1.0"
