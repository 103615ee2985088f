# Everything a newcomer needs: `make run` to use the app, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi.py
# The app refuses to start without APP_ENV: here it is development unless the shell says otherwise.
export APP_ENV ?= development

.PHONY: run test test-fast lint format catalogs messages chromium bench profile clean

run: $(VENV)/.runtime catalogs  ## Serve the app on http://127.0.0.1:5000 with demo data
	$(BIN)/flask migrate
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev catalogs chromium  ## Run the whole test suite (browser tests included)
	$(BIN)/pytest

test-fast: $(VENV)/.dev catalogs  ## Everything but the browser tests
	$(BIN)/pytest -m "not browser"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

catalogs: $(VENV)/.runtime  ## Compile the translations
	$(BIN)/pybabel compile -d webapp/translations --statistics

messages: $(VENV)/.runtime  ## Extract new strings and merge them into the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -o webapp/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching --ignore-obsolete

chromium:  ## A Chromium for the browser tests
	@bash scripts/ensure-chromium

bench: $(VENV)/.dev catalogs  ## Speed, page weight, queries and scale against the budgets (~10 min; local PostgreSQL)
	$(BIN)/python -m bench

profile: $(VENV)/.dev catalogs  ## CPU time a request of each benchmarked page, in process (PAGE=name, PROFILE=1 for cProfile)
	$(BIN)/python -m bench.profile $(if $(PAGE),--page "$(PAGE)") $(if $(PROFILE),--profile)

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
