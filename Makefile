# The two commands a new user needs: `make run` and `make test`. Both are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
PIP := .venv/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
FRONTEND := webmap/frontend
STAMP := var/stamps

help:
	@echo "make run    - set everything up and start the server on http://$(HOST):$(PORT)"
	@echo "make test   - set everything up and run the whole test suite"
	@echo "make stop   - stop the server and the local PostgreSQL cluster"
	@echo "make bench  - run the benchmarks under bench/ (see README)"
	@echo "make lint   - ruff and mypy"

system-packages:
	@scripts/system-packages.sh

$(STAMP):
	@mkdir -p $(STAMP)

venv: system-packages | $(STAMP)
	@test -x $(PY) || python3 -m venv .venv
	@if [ ! -f $(STAMP)/venv ] || [ pyproject.toml -nt $(STAMP)/venv ]; then \
	  $(PIP) install -q --upgrade pip && $(PIP) install -q -e '.[dev]' && touch $(STAMP)/venv; fi

frontend: | $(STAMP)
	@if [ ! -f webmap/static/webmap/dist/main.js ] || [ ! -d $(FRONTEND)/node_modules/gltf-validator ] || [ -n "$$(find $(FRONTEND)/src $(FRONTEND)/package.json $(FRONTEND)/vite.config.* -newer webmap/static/webmap/dist/main.js 2>/dev/null)" ]; then \
	  npm --prefix $(FRONTEND) ci --no-audit --no-fund --loglevel=error && npm --prefix $(FRONTEND) run build; fi

messages: venv
	@$(PY) manage.py compilemessages --ignore=.venv --ignore='var/*' -v 0

db: system-packages
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start; fi

setup: venv frontend messages db
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py collectstatic --noinput -v 0

run: setup
	@$(MAKE) --no-print-directory demo
	@scripts/server.sh start $(HOST) $(PORT)

# The demo plan and its accounts, once per installation: an operator who deleted the demo
# accounts (docs/deployment.md) must not get them back, passwords published in the README,
# from the next `make run`. Delete $(STAMP)/demo to load the demo again.
demo: | $(STAMP)
	@if [ -f $(STAMP)/demo ]; then echo "Demo data loaded before (delete $(STAMP)/demo to load it again)."; \
	  else $(PY) manage.py load_demo && touch $(STAMP)/demo; fi

stop:
	@scripts/server.sh stop
	@scripts/pg.sh stop

test: setup
	@$(PY) -m pytest -p no:cacheprovider

bench: setup
	@WITH_BENCH_PACKAGES=1 scripts/system-packages.sh
	@for script in import_gpkg wms_getmap mvt_tiles wfs_getfeature ogcapi_items cog_convert cad_import tiles3d_build; do \
	  echo "== bench/$$script.py"; $(PY) bench/$$script.py || exit 1; done

lint: venv
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy planning importers tiles webmap rasters threed

.PHONY: help system-packages venv frontend messages db setup run demo stop test bench lint
