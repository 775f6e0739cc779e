"""pytest rules of this repository, on top of pytest-odoo.

- A skipped test is a failed test: a tour that cannot find Chromium or websocket-client must not pass.
- Odoo's log is part of the test (as OCA's checklog): a WARNING, ERROR or CRITICAL record emitted while a
  test runs fails that test; one emitted outside any test (class set-up) fails the session.
  Tests that expect a log line capture it with ``assertLogs`` or ``mute_logger``, which keep it from here.
"""

import logging

import pytest


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


_collector = _Collector()
_attributed = set()


def _describe(records):
    return "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in records)


def pytest_configure(config):
    logging.getLogger().addHandler(_collector)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped tests fail here: {reason}"


@pytest.fixture(autouse=True)
def _odoo_checklog():
    start = len(_collector.records)
    yield
    new = _collector.records[start:]
    _attributed.update(id(record) for record in new)
    if new:
        pytest.fail(f"unexpected log records during the test:\n{_describe(new)}", pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    orphans = [record for record in _collector.records if id(record) not in _attributed]
    if orphans:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"unexpected log records outside tests:\n{_describe(orphans)}", red=True
        )
        session.exitstatus = 1
