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

# bedtools, samtools and chromium (renders the report in its test) from Debian packages,
# installed only where missing.
tools:
	@if ! command -v bedtools >/dev/null || ! command -v samtools >/dev/null \
		|| ! command -v chromium >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bedtools samtools chromium; \
	fi

setup: tools $(VENV)/.installed

demo: setup
	$(VENV)/bin/snakemake --cores $(CORES)

test: setup
	$(VENV)/bin/pytest -ra

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
