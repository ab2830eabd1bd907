# mailagent — `make run` serves the embedded default, `make test` runs every check. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every `mailagent` the tests start is a fresh interpreter: with PYTHONDONTWRITEBYTECODE (set on some machines) each
# one compiles every module from source again, ~5 s of CPU instead of ~1 s. Bytecode caches are written here.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: lock images test-ops docs run test setup lint typecheck importlint pytest properties bench clean web web-check e2e
WEB := frontend
WEB_STAMP := $(WEB)/node_modules/.installed

# Python dependencies come from uv.lock (exact versions and hashes); `--locked` refuses a lock that no longer matches
# pyproject.toml, so nobody runs code that was not reviewed. Adding or updating a dependency: see docs/dependencies.md.
$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q --disable-pip-version-check uv
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv sync -q --locked --extra dev --python $(BIN)/python
	touch $(STAMP)

setup: $(STAMP)

# After editing pyproject.toml's dependencies: re-resolve uv.lock (only what changed moves) and install it.
lock:
	test -x $(BIN)/uv || $(MAKE) setup
	$(BIN)/uv lock
	$(MAKE) setup

# The web app: npm dependencies from the lock file, then a production build that FastAPI serves on the same port.
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)
	cd $(WEB) && npm run build && npm run check:budget

run: $(STAMP) web
	$(BIN)/mailagent db upgrade
	$(BIN)/mailagent demo-admin
	@echo "open http://127.0.0.1:8000 (the web app; API docs at http://127.0.0.1:8000/docs)"
	$(BIN)/mailagent serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict domain application

importlint: $(STAMP)
	$(BIN)/lint-imports --config importlinter.ini

pytest: $(STAMP)
	$(BIN)/pytest -q --ignore=tests/ops

# The plan's 90 correctness properties at 1,000 examples each (Hypothesis profile `thorough`, example database kept in
# .hypothesis/): only the tests marked @pytest.mark.property, then a table property -> examples -> result -> time
# (also in var/properties-report.md). Long; not part of `make test` (which runs the same tests on the `ci` profile).
# Cheap suites first, so a run cut short has covered the most properties; PROPERTY_TESTS=<paths> runs a part.
PROPERTY_TESTS ?= tests/unit tests/contract tests/integration tests/e2e
properties: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -q -m property -p tests.support.property_report --timeout=0 \
		$(PROPERTY_TESTS) $(PYTEST_ARGS)

# Container images with podman: the Debian base (debootstrap, cached), mailagent (API + worker), backing services.
images: web
	ops/containers/build.sh

# The architecture documents, generated from the code: diagrams, API reference, runbook, one Word document.
docs: $(STAMP)
	$(BIN)/python ops/docs/build.py --out docs/build

# Operations, for real: the images built and the compose stack driven end to end, a real Prometheus scraping the
# app with the alert rules, every manifest and template validated offline (docs: ops/README.md).
test-ops: $(STAMP) images
	$(BIN)/hadolint ops/containers/Containerfile ops/containers/Containerfile.services
	$(BIN)/pytest -q tests/ops

# Frontend lint (eslint incl. no cross-feature imports), types, generated API client up to date, unit tests.
web-check: $(STAMP) $(WEB_STAMP)
	cd $(WEB) && npm run lint && npm run typecheck && npm run check:api && npm test

# End to end in Debian's Chromium against `mailagent serve` on the embedded default; screenshots in frontend/e2e/screenshots/.
e2e: $(STAMP) web
	cd $(WEB) && npm run e2e

test: lint typecheck importlint pytest test-ops web-check e2e

bench: $(STAMP) web
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info $(WEB)/node_modules $(WEB)/dist
