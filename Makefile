# PMO Reports: `make reports` renders every report; `make test` runs the tests.
# Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: reports test lint format clean demo bench lab dashboard lock

# requirements.lock pins every package (pip constraints): a scheduled batch gets the same
# versions every month. `make lock` writes it again from a fresh resolution of pyproject.toml.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[dev,postgres,dask,s3]"
	.lock-venv/bin/python -m pip freeze --exclude-editable > requirements.lock
	rm -rf .lock-venv

reports: $(STAMP)
	$(PY) run_reports.py $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(STAMP)
	$(PY) run_reports.py demo

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --config=jupyter_lab_config.py --notebook-dir=notebooks

# The reports as Voila dashboards for people who do not code: no code, the filter panel. Voila
# reads voila.json from this folder: 127.0.0.1 only, a token (open the address Voila prints, with
# ?token=), no code shown. DASHBOARD_PORT=8867 make dashboard for another port.
DASHBOARD_PORT ?= 8866
dashboard: $(STAMP)
	$(VENV)/bin/voila notebooks --port=$(DASHBOARD_PORT)

bench: $(STAMP)
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_analyst.py
	$(PY) benchmarks/bench_planner.py
	$(PY) benchmarks/bench_forecast.py

clean:
	rm -rf outputs .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
