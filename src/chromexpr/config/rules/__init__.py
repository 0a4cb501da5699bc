"""The cross-key config rules, one module per topic; each rule is a function of the config (and
the sample table where it needs the cells or file formats) that raises ConfigError naming the key
and what is allowed. :func:`chromexpr.config.check_config` runs them all."""
