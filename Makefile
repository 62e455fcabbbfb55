# 诊改 Engine: `make run` serves the demo on SQLite; `make test` runs lint and the whole suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
# Links in notifications and e-mails point at the address the server was started on.
SITE_URL ?= http://$(HOST)
export SITE_URL

.PHONY: run test lint format install migrate seed worker beat messages lock bench load clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Every seed command is idempotent: re-running `make run` creates nothing twice. The logins come
# last so they are what the terminal shows when the server starts.
seed: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py review_load_catalogues
	$(BIN)/python manage.py seed_indicators
	$(BIN)/python manage.py surveys_load_questionnaires
	$(BIN)/python manage.py seed_plans
	$(BIN)/python manage.py seed_activity
	$(BIN)/python manage.py steps_backfill
	$(BIN)/python manage.py demo_logins

run: seed
	@echo "Serving on $(SITE_URL)/ — log in with one of the demo accounts above."
	$(BIN)/python manage.py runserver $(HOST)

lint: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# No cache directory: a clean clone stays clean after a test run.
test: lint
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

lock: install
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# The semester-end load (bench/load/run.py) against the production start; locust lives in a
# venv of its own. Needs DATABASE_URL (a PostgreSQL database it may seed) and REDIS_URL.
LOAD_ARGS ?= --users 4,8,16,32,64 --seconds 60 --profile 32
.venv-load/bin/locust: bench/load/requirements.txt
	@test -x .venv-load/bin/python || $(PY) -m venv .venv-load || python3 -m venv .venv-load
	.venv-load/bin/pip install --quiet --disable-pip-version-check -r bench/load/requirements.txt
	@touch $@

load: install .venv-load/bin/locust
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .venv-load staticfiles db.sqlite3
