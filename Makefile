# crm_affinity — see README.md. Prerequisite: Odoo 18.0 importable by python3 (or $ODOO_PYTHON).
PY ?= $(or $(ODOO_PYTHON),python3)
ADDONS := crm_affinity crm_affinity_stock spreadsheet_dashboard_crm_affinity crm_affinity_automation

.PHONY: demo test test-addon test-core lint bench

## Serve a demo database (crm_affinity_demo, seeded) on http://localhost:8069 — login admin / admin
demo:
	@bash scripts/demo.sh

## Lint, install / upgrade / uninstall, the addon's suite, then Odoo's crm, mass_mailing, mass_mailing_sms
## and sale_crm suites with the addon installed
test:
	@bash scripts/check_odoo.sh
	@$(MAKE) --no-print-directory lint
	@bash scripts/test_all.sh

## Faster, for developers: lint and the addon's own suite only
test-addon:
	@bash scripts/check_odoo.sh
	@$(MAKE) --no-print-directory lint
	@bash scripts/test.sh

## Odoo's own suites with the addon installed, alone
test-core:
	@bash scripts/check_odoo.sh
	@bash scripts/test_core.sh

## The same linters pre-commit runs, from PyPI
lint:
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m ruff check $(ADDONS) scripts conftest.py
	$(PY) -m ruff format --check $(ADDONS) scripts conftest.py
	$(PY) -m pylint --rcfile=.pylintrc $(ADDONS)
	for addon in $(ADDONS); do oca-checks-odoo-module --no-verbose $$addon/__manifest__.py || exit 1; done
	pos=$$(find $(ADDONS) -path '*/i18n/*' -name '*.po*'); test -z "$$pos" || oca-checks-po --no-verbose $$pos

## Benchmark every heavy path against a raw-SQL floor at 10 000 and 100 000 customers
bench:
	@bash scripts/bench.sh
