# PlanApp — `make run` serves the demo, `make test` runs every test. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MO     := planapp/translations/fa/LC_MESSAGES/messages.mo
PO     := planapp/translations/fa/LC_MESSAGES/messages.po
export FLASK_APP := wsgi.py

.PHONY: run test bench lint translations system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,prod]'
	@touch $@

$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel -q compile -d planapp/translations

# The scheduler (e-mail, reminders, monitoring rounds) runs beside the web server as its own process, as in
# production; the trap stops it when the server stops (Ctrl-C included). PORT and SCHEDULER_LOG may be overridden.
PORT          ?= 5000
SCHEDULER_LOG ?= instance/scheduler.log
run: $(STAMP) $(MO)
	$(BIN)/flask db upgrade
	@echo
	@$(BIN)/flask seed-demo
	@echo
	@echo "PlanApp is at http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	@echo "The scheduler runs beside it (flask scheduler run); its log: $(SCHEDULER_LOG)"
	@echo
	@mkdir -p instance "$$(dirname "$(SCHEDULER_LOG)")"; \
	$(BIN)/flask scheduler run >>"$(SCHEDULER_LOG)" 2>&1 & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload --no-debugger --with-threads

# Chromium (browser tests) and poppler-utils (PDF tests) come from Debian when missing and allowed.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null; then \
	    $$SUDO apt-get install -y -q chromium poppler-utils >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium poppler-utils >/dev/null; } || \
	    echo "warning: could not install chromium/poppler-utils; browser tests will be skipped"; \
	  else echo "warning: chromium/poppler-utils missing and cannot be installed here; browser tests will be skipped"; fi; \
	fi

# Two workers: the machine has two cores; each worker has its own SQLite file and PostgreSQL schema.
PYTEST_ARGS ?= -n 2
test: $(STAMP) $(MO) system-deps
	@if command -v chromium >/dev/null; then export PLANAPP_REQUIRE_BROWSER=1; fi; \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) $(MO)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check planapp tests benchmarks

# Re-extract messages after changing visible strings; then translate the new entries in $(PO).
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o messages.pot .
	$(BIN)/pybabel -q update -i messages.pot -d planapp/translations --no-location --omit-header
	@rm -f messages.pot

clean:
	rm -rf $(VENV) instance test-artifacts
