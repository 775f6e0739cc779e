from odoo import http
from odoo.addons.automation_oca.controllers.main import AutomationOCAController


class AffinityAutomationController(AutomationOCAController):
    """automation_oca's public tracking doors compare a token from the address with ``hmac.compare_digest``,
    which raises on a non-ASCII string: such a token is simply a wrong one."""

    @http.route()
    def automation_oca_mail_open(self, record_id, token, **post):
        return super().automation_oca_mail_open(record_id, token if token.isascii() else "", **post)

    @http.route()
    def automation_oca_redirect(self, code, record_id, token, **post):
        return super().automation_oca_redirect(code, record_id, token if token.isascii() else "", **post)
