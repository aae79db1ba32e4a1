# Two commands: `make demo` (embed the bundled sample media and show tags) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test serve install bench sample-media clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/reelsense embed sample_media --out data/sample_media.parquet --show

serve: install
	REELSENSE_API_KEYS=$${REELSENSE_API_KEYS:-demo} $(BIN)/reelsense serve --index sample_media

test: install
	$(BIN)/ruff check .
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  echo "NOTE: no Chromium found: the browser tests of the web page are skipped (apt-get install chromium)"
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/embed_throughput.py

sample-media: install
	$(BIN)/python scripts/make_sample_media.py

clean:
	rm -rf data .pytest_cache
