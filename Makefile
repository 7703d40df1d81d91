# Front door: `make run` runs the pipeline once through Airflow; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run demo test venv lock clean airflow bench bundle

WEB_ASSETS := vendor/node_modules/.installed

venv: $(VENV)/.installed $(WEB_ASSETS)

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned dependencies into $(VENV) (first time: about a minute)"
	@$(BIN)/pip install --disable-pip-version-check -r requirements.lock > $(VENV)/install.log 2>&1 \
	  || { grep -v "^WARNING: Location" $(VENV)/install.log | tail -n 30; exit 1; }
	@$(BIN)/python -c 'import airflow, dbt, great_expectations, duckdb, python_calamine'
	@touch $@

# Scripts, stylesheets and fonts the Data Docs pages load, pinned by vendor/package-lock.json (npm ci
# checks each file's hash) and copied into each Data Docs site (expectations/offline_docs.py).
# No registry at hand: NPM_ARGS="--offline --cache DIR" with a cache filled by `npm ci --cache DIR`.
$(WEB_ASSETS): vendor/package.json vendor/package-lock.json
	@command -v npm > /dev/null || { echo "npm (Node.js) is needed for the Data Docs' web assets: apt-get install npm"; exit 1; }
	@echo "installing pinned web assets into vendor/node_modules"
	@npm ci --prefix vendor $(NPM_ARGS) > vendor/install.log 2>&1 || { tail -n 30 vendor/install.log; exit 1; }
	@touch $@

run: venv
	@CAMPAIGN_HOME="$${CAMPAIGN_HOME:-$(CURDIR)/data}" scripts/run_pipeline.sh

demo: venv  # reset $CAMPAIGN_HOME to the demo submissions (only a demo or fresh home), then run
	@CAMPAIGN_HOME="$${CAMPAIGN_HOME:-$(CURDIR)/data}" scripts/run_pipeline.sh --demo

airflow: venv  # Airflow as local services (docs/airflow.md); Ctrl-C stops them
	@CAMPAIGN_HOME="$${CAMPAIGN_HOME:-$(CURDIR)/data}" scripts/airflow_stack.sh

test: venv
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv  # performance figures vs targets (docs/performance.md); BENCH_ARGS e.g. --small-files 100
	@BENCH_HOME="$${BENCH_HOME:-/tmp/campaign-bench}" $(BIN)/python -m bench.run_bench $(BENCH_ARGS)

bundle: venv  # one folder for a machine without internet: wheelhouse, project, images, INSTALL.md (BUNDLE_IMAGES=0: no images)
	@scripts/bundle.sh

lock:
	$(BIN)/pip install -r requirements.in
	{ echo '# Full pinned environment (pip freeze of requirements.in on Python 3.11). Regenerate: make lock'; \
	  $(BIN)/pip freeze; } > requirements.lock

clean:
	rm -rf data dist
