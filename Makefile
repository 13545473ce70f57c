# Two commands do everything on a fresh machine with Python 3.11+:
#   make bulletin   set up .venv and the fonts, then build the latest month's bulletin (demo data if data/raw is empty)
#   make test       set up .venv, the fonts and the test tools (headless Chromium), then run the whole test suite
# System packages (Debian, installed with apt-get only when missing; root, or sudo):
#   fonts       fonts-noto-cjk (bold Noto CJK, OFL) and fonts-arphic-ukai (楷体, Arphic Public Licence)
#   test-tools  chromium and chromium-driver (the browser test), poppler-utils (pdftotext, pdftoppm)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
FONT_FILES := /usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc /usr/share/fonts/truetype/arphic/ukai.ttc

.PHONY: bulletin test lint bench clean fonts test-tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The PDFs' bold and 楷体 faces; without them (no root, no apt) the PDFs still build with the pip fonts.
fonts:
	@for f in $(FONT_FILES); do [ -f $$f ] || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing fonts-noto-cjk fonts-arphic-ukai"; \
	  ( $(APT) update -qq && $(APT) install -y -qq --no-install-recommends fonts-noto-cjk fonts-arphic-ukai >/dev/null ) \
	  || echo "warning: could not install the fonts: PDFs use the regular Noto faces only"; \
	fi

# The browser test needs a real headless browser: it fails (never skips) without one.
test-tools:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
	   || ! command -v pdftoppm >/dev/null 2>&1; then \
	  echo "installing chromium chromium-driver poppler-utils"; \
	  $(APT) update -qq && $(APT) install -y -qq chromium chromium-driver poppler-utils >/dev/null; \
	fi

bulletin: $(STAMP) fonts
	$(BIN)/credit-county bulletin --latest

test: $(STAMP) fonts test-tools
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_sensitivity.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
