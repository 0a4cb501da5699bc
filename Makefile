# Two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
CORES ?= 2
# CPU build of PyTorch; on a GPU machine install the CUDA build of the same version instead.
TORCH ?= torch==2.13.0

.PHONY: setup tools demo test lint format clean check-determinism

$(PYTHON):
	python3 -m venv $(VENV)

$(VENV)/.installed: $(PYTHON) pyproject.toml
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet "$(TORCH)"
	$(PYTHON) -m pip install --quiet -e ".[dev]"  # dev includes the train extra
	touch $@

# bedtools, samtools and chromium (renders the report in its test) from Debian packages, installed
# only where missing; slurm-wlm and munge too, for the single-node SLURM cluster test
# (tests/test_slurm.py skips where they cannot be had). Idempotent: apt-get runs (update once,
# then install) only when something is missing.
tools:
	@missing=""; \
	command -v bedtools >/dev/null || missing="$$missing bedtools"; \
	command -v samtools >/dev/null || missing="$$missing samtools"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	cluster=""; \
	PATH="$$PATH:/usr/sbin:/sbin" command -v slurmctld >/dev/null || cluster="slurm-wlm"; \
	PATH="$$PATH:/usr/sbin:/sbin" command -v munged >/dev/null || cluster="$$cluster munge"; \
	if [ -n "$$missing$$cluster" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq || exit 1; \
		if [ -n "$$missing" ]; then \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing || exit 1; \
		fi; \
		if [ -n "$$cluster" ]; then \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$cluster \
				|| echo "note: could not install $$cluster; the SLURM cluster test will skip"; \
		fi; \
	fi

setup: tools $(VENV)/.installed

demo: setup
	$(VENV)/bin/snakemake --cores $(CORES)

test: setup
	$(VENV)/bin/pytest -ra

# The documentation site (docs/, mkdocs.yml) into site/; --strict fails on a broken link or anchor.
# NO_MKDOCS_2_WARNING silences mkdocs-material's notice about its end of life (not a build warning).
.PHONY: docs
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# The inner loop: every test but the Snakemake runs (workflow) and the SLURM cluster (slurm).
.PHONY: test-fast
test-fast: setup
	$(VENV)/bin/pytest -ra -m "not workflow and not slurm"

# The demo twice from scratch on the CPU: every dataset array, checkpoint and metric must match.
check-determinism: setup
	$(PYTHON) -m tests.check_determinism

lint: setup
	$(VENV)/bin/ruff check src tests workflow/scripts benchmarks
	$(VENV)/bin/ruff format --check src tests workflow/scripts benchmarks
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules
	$(VENV)/bin/snakemake --lint

format: setup
	$(VENV)/bin/ruff format src tests workflow/scripts benchmarks
	$(VENV)/bin/snakefmt Snakefile workflow/rules

clean:
	rm -rf results logs resources/remc resources/demo-mirror .snakemake
