import datetime
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.iys import (
    CHANNEL_TO_IYS,
    IYS_PURPOSE,
    STATE_TO_IYS,
    iys_error_label,
    iys_holds,
    iys_source_and_date,
)
from ..tools.iys_client import IysError

PUSH_STATES = [
    ("queued", "Queued"),
    ("sending", "Being sent"),
    ("submitted", "Submitted, awaiting IYS"),
    ("done", "Registered at IYS"),
    ("rejected", "Rejected by IYS"),
]
MAX_ATTEMPTS = 8


def _item_key(item):
    """What tells one consent of a bulk request from another."""
    return (item.get("recipient"), item.get("recipientType"), item.get("type"), item.get("status"))


class AffinityIysPush(models.Model):
    """One consent change on its way to IYS: pushed once, its answer kept beside the history row."""

    _name = "affinity.iys.push"
    _description = "Affinity IYS Push"
    _order = "id desc"

    account_id = fields.Many2one("affinity.iys.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    consent_id = fields.Many2one("affinity.consent", ondelete="set null", index=True)
    log_id = fields.Many2one("affinity.consent.log", string="History Row", ondelete="set null", index=True)
    partner_id = fields.Many2one("res.partner", ondelete="set null", index=True)
    recipient = fields.Char(required=True)
    recipient_type = fields.Selection([("BIREYSEL", "BIREYSEL"), ("TACIR", "TACIR")], default="BIREYSEL")
    consent_type = fields.Selection(
        [("EPOSTA", "EPOSTA"), ("MESAJ", "MESAJ"), ("ARAMA", "ARAMA")], required=True
    )
    status = fields.Selection([("ONAY", "ONAY"), ("RET", "RET")], required=True)
    source_code = fields.Char(string="IYS Source")
    consent_date = fields.Char(string="Consent Date (Turkish time)")
    state = fields.Selection(PUSH_STATES, default="queued", required=True, index=True)
    request_id = fields.Char(string="Request ID", index=True)
    subrequest_id = fields.Char(
        string="Sub-request ID", index=True, help="IYS's id of this consent within its bulk request."
    )
    item_index = fields.Integer(help="The consent's place in its bulk request, from 1, as IYS numbers it.")
    transaction_id = fields.Char(string="Transaction ID")
    error_code = fields.Char()
    error_message = fields.Char()
    error_label = fields.Char(string="Meaning", compute="_compute_error_label")
    attempts = fields.Integer()
    next_try = fields.Datetime()

    @api.depends("error_code", "state")
    def _compute_error_label(self):
        for push in self:
            push.error_label = (
                iys_error_label(self.env, code=push.error_code, kind="rejected") if push.error_code else False
            )

    @api.model
    def _enqueue(self, logs):
        """Queue the commercial changes a company with a switched-on IYS account must register (we are
        master)."""
        self, logs = self.sudo(), logs.sudo()
        logs = logs.filtered(
            lambda log: (
                log.consent_id
                and log.consent_id.channel_id.iys_type
                and log.consent_id.purpose_id.code == IYS_PURPOSE
                and log.source != "iys"
                and log.new_state in ("granted", "denied")
            )
        )
        if not logs:
            return self
        accounts = {
            account.company_id.id: account
            # Only a switched-on account registers: switching on registers what was given before.
            for account in self.env["affinity.iys.account"]
            .sudo()
            .search([("mode", "=", "ours"), ("state", "=", "on")])
        }
        default = self.env.company.id
        vals_list = []
        for log in logs:
            consent = log.consent_id
            account = accounts.get((consent.company_id or log.company_id).id or default)
            if not account:
                continue
            status = STATE_TO_IYS[log.new_state]
            if status == "RET" and not consent._iys_knows_approval():
                # IYS refuses a rejection for a recipient it never approved: nothing to withdraw there.
                continue
            recipient = consent.partner_id._affinity_iys_recipient(consent.channel_id)
            consent_type = (
                CHANNEL_TO_IYS[consent.channel_id.code]
                if consent.channel_id.code in CHANNEL_TO_IYS
                else consent.channel_id.iys_type
            )
            if not iys_holds(consent_type, recipient):
                # No address, or a number outside Turkey: IYS holds Turkish numbers only.
                continue
            source_code, consent_date = iys_source_and_date(
                log.source, log.consent_date or fields.Datetime.now()
            )
            vals_list.append(
                {
                    "account_id": account.id,
                    "consent_id": consent.id,
                    "log_id": log.id,
                    "partner_id": consent.partner_id.id,
                    "recipient": recipient,
                    "recipient_type": consent.partner_id._affinity_iys_recipient_type(),
                    "consent_type": consent_type,
                    "status": status,
                    "source_code": source_code,
                    "consent_date": consent_date,
                }
            )
        return self.sudo().create(vals_list)

    def _payload(self):
        self.ensure_one()
        payload = {
            "recipient": self.recipient,
            "recipientType": self.recipient_type,
            "type": self.consent_type,
            "status": self.status,
        }
        if self.recipient_type == "BIREYSEL":
            payload.update(source=self.source_code, consentDate=self.consent_date)
        return payload

    def _submitted(self, answer, payloads):
        """A bulk request IYS took (Asenkron Çoklu İzin Ekleme): its requestId on every row and each row's
        own subrequestId, in one statement. A sub-request that repeats its consent is matched by it, else
        by its place in the answer."""
        request_id = answer.get("requestId")
        subrequests = answer.get("subRequests") or []
        by_key = defaultdict(list)
        for push, payload in zip(self, payloads, strict=True):
            by_key[_item_key(payload)].append(push.id)
        rows = []
        for place, sub in enumerate(subrequests):
            ids = by_key.get(_item_key(sub)) if sub.get("recipient") else None
            if ids:
                rows.append((ids.pop(0), sub.get("subrequestId")))
            elif place < len(self):
                rows.append((self[place].id, sub.get("subrequestId")))
        self.write({"state": "submitted", "request_id": request_id})
        if rows:
            self.flush_recordset()
            self.env.execute_query(
                SQL(
                    """UPDATE affinity_iys_push p SET subrequest_id = v.sub
                         FROM (VALUES %s) AS v(id, sub) WHERE p.id = v.id""",
                    SQL(", ").join(SQL("(%s, %s)", push_id, sub) for push_id, sub in rows),
                )
            )
            self.invalidate_recordset(["subrequest_id"])

    def _failed_attempt(self, error):
        """Back to the queue with a growing wait; a change IYS itself rejects is never retried blindly."""
        now = fields.Datetime.now()
        for push in self:
            if error.kind == "rejected":
                push.write({"state": "rejected", "error_code": error.code, "error_message": str(error)[:250]})
                continue
            vals = {"state": "queued", "error_code": error.code, "error_message": str(error)[:250]}
            if error.kind == "retry":
                # Network and server errors: each attempt waits twice as long; a paused account waits as a whole.
                attempts = push.attempts + 1
                vals.update(
                    attempts=attempts,
                    next_try=now + datetime.timedelta(minutes=2 ** min(attempts, MAX_ATTEMPTS)),
                )
            push.write(vals)

    def _recover_sending(self, client):
        """Rows a crash left between 'being sent' and 'submitted': IYS says whether they arrived."""
        for push in self.filtered(lambda p: p.state == "sending"):
            current = client.status(push.recipient, push.recipient_type, push.consent_type)
            if current and current.get("status") == push.status:
                # Tekil İzin Durumu Sorgulama answers no transactionId: the row is done without one.
                push.state = "done"
                push._mirror_all()
            else:
                push.state = "queued"

    def _poll(self, client):
        """Read the answers of submitted bulk requests; items IYS still has in its queue wait."""
        submitted = self.filtered(lambda p: p.state == "submitted")
        for request_id in set(submitted.mapped("request_id")):
            rows = submitted.filtered(lambda p, request_id=request_id: p.request_id == request_id).sorted(
                "id"
            )
            try:
                results = client.result(request_id)
            except IysError as error:
                if error.kind in ("pause", "auth"):
                    raise
                continue
            # Çoklu İzin Ekleme İsteği Sorgulama: each result carries the subrequestId the submit gave its
            # consent; its index is the place in the batch counted from 1. Matched by subrequestId, never
            # by position; a row submitted before subrequestIds were kept falls back to its place from 1.
            by_sub = {item.get("subrequestId"): item for item in results if item.get("subrequestId")}
            by_index = {item.get("index"): item for item in results}
            done, rejected = [], []
            for place, push in enumerate(rows, start=1):
                item = (by_sub.get(push.subrequest_id) if push.subrequest_id else by_index.get(place)) or {}
                index = item.get("index") or 0
                if item.get("status") == "success":
                    done.append((push.id, index, item.get("transactionId")))
                elif item.get("status") == "failure":
                    error = item.get("error") or {}
                    rejected.append((push.id, index, error.get("code"), (error.get("message") or "")[:250]))
            self._write_results(done, rejected)
            self.env["ir.cron"]._notify_progress(done=len(done) + len(rejected), remaining=0)

    @api.model
    def _write_results(self, done, rejected):
        """A bulk request's answers in two statements, and IYS's status mirrored on the consents in one."""
        self.flush_model()
        if done:
            values = SQL(", ").join(SQL("(%s, %s, %s)", *row) for row in done)
            self.env.execute_query(
                SQL(
                    """UPDATE affinity_iys_push p SET state = 'done', item_index = v.idx, transaction_id = v.tx
                         FROM (VALUES %s) AS v(id, idx, tx) WHERE p.id = v.id""",
                    values,
                )
            )
        if rejected:
            values = SQL(", ").join(SQL("(%s, %s, %s, %s)", *row) for row in rejected)
            self.env.execute_query(
                SQL(
                    """UPDATE affinity_iys_push p
                          SET state = 'rejected', item_index = v.idx, error_code = v.code, error_message = v.msg
                         FROM (VALUES %s) AS v(id, idx, code, msg) WHERE p.id = v.id""",
                    values,
                )
            )
        pushes = self.browse([row[0] for row in done] + [row[0] for row in rejected])
        pushes.invalidate_recordset(["state", "item_index", "transaction_id", "error_code", "error_message"])
        self.browse([row[0] for row in done])._mirror_all()

    def _mirror_all(self):
        """The status IYS now holds, on every consent of these registered changes."""
        if not self:
            return
        self.env["affinity.consent"].flush_model()
        updated = self.env.execute_query(
            SQL(
                """UPDATE affinity_consent c
                      SET iys_status = p.status, iys_transaction_id = p.transaction_id,
                          iys_date = (p.consent_date::timestamp AT TIME ZONE INTERVAL '+03:00') AT TIME ZONE 'UTC',
                          iys_synced_at = %s
                     FROM affinity_iys_push p
                    WHERE p.id = ANY(%s) AND c.id = p.consent_id
                RETURNING c.id""",
                fields.Datetime.now(),
                self.ids,
            )
        )
        consents = self.env["affinity.consent"].browse([row[0] for row in updated])
        consents.invalidate_recordset(["iys_status", "iys_transaction_id", "iys_date", "iys_synced_at"])
        consents.modified(["iys_status"])
        consents.flush_recordset()

    def action_retry(self):
        """An administrator sends a rejected change again, once they fixed what IYS named."""
        self.filtered(lambda p: p.state == "rejected").write(
            {"state": "queued", "error_code": False, "error_message": False, "next_try": False}
        )


class AffinityIysUnmatched(models.Model):
    """A change IYS knows of a recipient this database does not: kept for a person to look at."""

    _name = "affinity.iys.unmatched"
    _description = "Affinity IYS Unknown Recipient"
    _order = "write_date desc, id desc"

    account_id = fields.Many2one("affinity.iys.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    recipient = fields.Char(required=True, index=True)
    consent_type = fields.Char(required=True)
    recipient_type = fields.Char(required=True, default="BIREYSEL")
    status = fields.Char()
    source_code = fields.Char(string="IYS Source")
    consent_date = fields.Char(string="Consent Date (Turkish time)")
    transaction_id = fields.Char(string="Transaction ID")

    _sql_constraints = [
        (
            "account_recipient_type_uniq",
            "unique(account_id, recipient, consent_type, recipient_type)",
            "A recipient is listed once per IYS type and recipient type.",
        ),
    ]

    @api.model
    def _keep(self, account, changes):
        """Insert or bring up to date, keyed by recipient, type and recipient type: the newest word is kept."""
        existing = {
            (row.recipient, row.consent_type, row.recipient_type): row
            for row in self.sudo().search(
                [("account_id", "=", account.id), ("recipient", "in", [c["recipient"] for c in changes])]
            )
        }
        for change in changes:
            vals = {
                "status": change.get("status"),
                "source_code": change.get("source"),
                "consent_date": change.get("consentDate"),
                "transaction_id": change.get("transactionId"),
            }
            key = (change["recipient"], change["type"], change.get("recipientType") or "BIREYSEL")
            row = existing.get(key)
            if row:
                row.write(vals)
            else:
                existing[key] = self.sudo().create(
                    dict(
                        vals,
                        account_id=account.id,
                        recipient=key[0],
                        consent_type=key[1],
                        recipient_type=key[2],
                    )
                )
