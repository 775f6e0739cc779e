from odoo import http
from odoo.addons.automation_oca.controllers.main import AutomationOCAController
from odoo.http import request

INT4_MAX = 2**31 - 1


class AffinityAutomationController(AutomationOCAController):
    """automation_oca's public tracking doors trust a token that matches: a token that cannot match (not ASCII:
    ``hmac.compare_digest`` raises on it) or that names a step no longer there (its record deleted: the click
    or open would be written against a missing row) is simply a wrong one."""

    def _affinity_token(self, record_id, token):
        if not token.isascii() or not 0 < record_id <= INT4_MAX:
            return ""
        if not request.env["automation.record.step"].sudo().browse(record_id).exists():
            return ""
        return token

    @http.route()
    def automation_oca_mail_open(self, record_id, token, **post):
        return super().automation_oca_mail_open(record_id, self._affinity_token(record_id, token), **post)

    @http.route()
    def automation_oca_redirect(self, code, record_id, token, **post):
        return super().automation_oca_redirect(
            code, record_id, self._affinity_token(record_id, token), **post
        )
