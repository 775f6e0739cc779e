"""A company's account at IYS, and the two crons that keep the registry and the addon in step.

Push: every commercial consent change for e-mail, SMS or phone is queued (``affinity.iys.push``) and sent
in bulk; the results are polled and written on the queue row, which the history row shows. Pull: changes
made in IYS (a citizen's RET through e-Devlet, the app or a short link) and our brand's own changes are
read from the stored cursor and applied to the consents with source *IYS*. All HTTP goes through
``tools/iys_client.py``.
"""

import datetime
import json
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from ..tools.batching import commit_unless_testing
from ..tools.dates import turkish_to_utc
from ..tools.iys import IYS_PURPOSE, IYS_STATUS, IYS_TYPES, STATE_TO_IYS, iys_error_label
from ..tools.iys_client import IysClient, IysError
from ..tools.phone import partner_ids_by_phone_key, phone_key

_logger = logging.getLogger(__name__)
MANAGER = "crm_affinity.group_affinity_manager"
# A paused account (H084, 429) asks again after this long, unless IYS said when.
PAUSE = datetime.timedelta(hours=1)


class AffinityIysAccount(models.Model):
    _name = "affinity.iys.account"
    _description = "Affinity IYS Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)
    base_url = fields.Char(
        string="Base URL",
        required=True,
        default=lambda self: (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_affinity.iys_base_url", "https://api.sandbox.iys.org.tr")
        ),
        help="IYS's production or sandbox address, as its developer documentation gives it.",
    )
    iys_code = fields.Char(string="IYS Code", required=True)
    brand_code = fields.Char(required=True)
    username = fields.Char(groups=MANAGER, copy=False)
    password = fields.Char(groups=MANAGER, copy=False)
    token_store = fields.Text(groups=MANAGER, copy=False, readonly=True)
    mode = fields.Selection(
        [("registry", "The registry is master"), ("ours", "We are master")],
        required=True,
        default="ours",
        help="Registry is master: the addon only mirrors IYS. We are master: our consents are pushed to IYS; "
        "a newer change made in IYS still wins, since the citizen's word there is final.",
    )
    batch_size = fields.Integer(default=1000, help="Consents per bulk request.")
    pull_limit = fields.Integer(default=1000, help="Changes read per page.")
    pull_minutes = fields.Integer(
        string="Pull Every (minutes)",
        default=60,
        help="How often the registry's changes are read (IYS serves them an hour late).",
    )
    status_per_second = fields.Integer(
        string="Status Queries per Second", default=5, help="How fast reconciliation asks IYS."
    )
    paused_until = fields.Datetime(readonly=True, help="IYS asked us to wait (H084 or 429) until then.")
    last_error = fields.Char(readonly=True)
    last_push = fields.Datetime(readonly=True)
    last_pull = fields.Datetime(readonly=True)
    cursor_iys = fields.Char(string="Cursor (IYS)", readonly=True, copy=False)
    cursor_hs = fields.Char(string="Cursor (our brand)", readonly=True, copy=False)
    push_ids = fields.One2many("affinity.iys.push", "account_id", string="Queue")

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "A company has one IYS account."),
    ]

    @api.depends("company_id", "brand_code")
    def _compute_name(self):
        for account in self:
            account.name = f"IYS – {account.company_id.name} ({account.brand_code or '…'})"

    @api.constrains("batch_size", "pull_limit", "status_per_second", "pull_minutes")
    def _check_sizes(self):
        for account in self:
            if (
                min(account.batch_size, account.pull_limit, account.status_per_second, account.pull_minutes)
                < 1
            ):
                raise UserError(self.env._("Batch size, page size and queries per second are at least 1."))

    # --- actions ---------------------------------------------------------------------------------------

    def action_test_connection(self):
        """Log in with the stored credentials: a clear answer either way, nothing else changes."""
        self.ensure_one()
        client = self._client(fresh=True)
        try:
            client.access_token()
        except IysError as error:
            raise UserError(self._error_text(error)) from None
        self._save_tokens(client)
        self.last_error = False
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("IYS"),
                "message": self.env._("Connected to IYS as brand %s.", self.brand_code),
            },
        }

    def action_push_now(self):
        self._push()

    def action_pull_now(self):
        self._pull()

    def action_open_overdue(self):
        return self.env["affinity.consent"]._iys_overdue_action(self.company_id)

    # --- the client ------------------------------------------------------------------------------------

    def _client(self, fresh=False):
        self.ensure_one()
        account = self.sudo()
        tokens = {} if fresh else json.loads(account.token_store or "{}")
        return IysClient(
            account.base_url,
            account.iys_code,
            account.brand_code,
            account.username,
            account.password,
            tokens=tokens,
            now=fields.Datetime.now,
        )

    def _save_tokens(self, client):
        self.sudo().token_store = json.dumps(client.tokens)

    def _error_text(self, error):
        return self.env._(
            "IYS refused: %(meaning)s (%(code)s)",
            meaning=iys_error_label(self.env, error),
            code=error.code or error.http_status,
        )

    def _available(self):
        now = fields.Datetime.now()
        return self.filtered(lambda account: not account.paused_until or account.paused_until <= now)

    def _handle_account_error(self, client, error):
        """What an error means for the whole account: pause, or remember what to tell an administrator."""
        self._save_tokens(client)
        if error.kind == "pause":
            wait = PAUSE
            if error.retry_after and str(error.retry_after).isdigit():
                wait = datetime.timedelta(seconds=int(error.retry_after))
            self.paused_until = fields.Datetime.now() + wait
        self.last_error = self._error_text(error)
        _logger.info("IYS account %s: %s", self.id, error.kind)

    # --- crons -----------------------------------------------------------------------------------------

    @api.model
    def _cron_push(self):
        self.search([("active", "=", True)])._push()

    @api.model
    def _cron_pull(self):
        now = fields.Datetime.now()
        self.search([("active", "=", True)]).filtered(
            lambda a: not a.last_pull or a.last_pull + datetime.timedelta(minutes=a.pull_minutes) <= now
        )._pull()

    @api.model
    def _cron_deadlines(self):
        self.search([("active", "=", True)])._warn_overdue()

    def _push(self):
        for account in self._available().filtered(lambda a: a.mode == "ours"):
            client = account._client()
            try:
                account._pushes("sending")._recover_sending(client)
                account._submit_queued(client)
                account._pushes("submitted")._poll(client)
            except IysError as error:
                account._handle_account_error(client, error)
                continue
            account._save_tokens(client)
            account.write({"last_push": fields.Datetime.now(), "last_error": False})

    def _pushes(self, state):
        return self.env["affinity.iys.push"].search(
            [("account_id", "=", self.id), ("state", "=", state)], order="id"
        )

    def _submit_queued(self, client):
        Push = self.env["affinity.iys.push"]
        while True:
            batch = Push.search(
                [
                    ("account_id", "=", self.id),
                    ("state", "=", "queued"),
                    "|",
                    ("next_try", "=", False),
                    ("next_try", "<=", fields.Datetime.now()),
                ],
                limit=self.batch_size,
                order="id",
            )
            if not batch:
                return
            # Marked as being sent before the request goes: a crash after it is recognised next run.
            batch.write({"state": "sending"})
            commit_unless_testing(self.env)
            try:
                request_id = client.submit([push._payload() for push in batch])
            except IysError as error:
                batch._failed_attempt(error)
                if error.kind in ("pause", "auth"):
                    raise
                return
            batch.write({"state": "submitted", "request_id": request_id})
            commit_unless_testing(self.env)
            self.env["ir.cron"]._notify_progress(done=len(batch), remaining=0)

    def _pull(self):
        for account in self._available():
            client = account._client()
            try:
                # Our brand's own changes first, the citizens' last: on a tie the citizen's word stands.
                for source, cursor_field in (("HS", "cursor_hs"), ("IYS", "cursor_iys")):
                    while True:
                        page = client.changes(source, after=account[cursor_field], limit=account.pull_limit)
                        changes = page.get("list") or []
                        if changes:
                            account._apply_changes(changes, source)
                        if page.get("after"):
                            account[cursor_field] = page["after"]
                        commit_unless_testing(self.env)
                        if len(changes) < account.pull_limit:
                            break
            except IysError as error:
                account._handle_account_error(client, error)
                continue
            account._save_tokens(client)
            account.write({"last_pull": fields.Datetime.now(), "last_error": False})

    def _warn_overdue(self):
        """A daily to-do for every Affinity administrator of the company while consents are overdue."""
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        managers = self.env.ref(MANAGER).users.filtered(lambda user: not user.share)
        for account in self:
            count = (
                self.env["affinity.consent"]
                .sudo()
                .search_count(account.company_id._affinity_iys_overdue_domain())
            )
            open_activities = account.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
            if not count:
                open_activities.unlink()
                continue
            summary = self.env._("%s consents are overdue at IYS", count)
            for user in managers.filtered(lambda u, account=account: account.company_id in u.company_ids):
                mine = open_activities.filtered(lambda a, user=user: a.user_id == user)
                if mine:
                    mine.write({"summary": summary, "date_deadline": fields.Date.context_today(self)})
                else:
                    account.activity_schedule(
                        activity_type_id=activity_type.id, summary=summary, user_id=user.id
                    )

    def _apply_changes(self, changes, source):
        """IYS's word on each recipient, applied set-based to their consents; strangers wait for review."""
        self.ensure_one()
        Partner = self.env["res.partner"].sudo()
        emails = [email_normalize(c["recipient"]) for c in changes if c.get("type") == "EPOSTA"]
        by_email = {}
        for row in Partner.search_read(
            [("email_normalized", "in", [e for e in emails if e])], ["email_normalized", "company_id"]
        ):
            by_email.setdefault(row["email_normalized"], (row["id"], row["company_id"]))
        by_phone = partner_ids_by_phone_key(
            self.env, [phone_key(c["recipient"]) for c in changes if c.get("type") != "EPOSTA"]
        )
        phone_companies = {
            row["id"]: row["company_id"]
            for row in Partner.browse(list(by_phone.values())).read(["company_id"])
        }
        latest, unmatched = {}, []
        for change in changes:
            if change.get("type") == "EPOSTA":
                partner_id, company = by_email.get(email_normalize(change["recipient"]), (None, False))
            else:
                partner_id = by_phone.get(phone_key(change["recipient"]))
                company = phone_companies.get(partner_id, False)
            if not partner_id or (company and company[0] != self.company_id.id):
                unmatched.append(change)
                continue
            # Within a page the later change of a recipient is the one that stands.
            latest[(partner_id, change["type"])] = change
        if latest:
            self._apply_latest(latest, source)
        if unmatched:
            self.env["affinity.iys.unmatched"]._keep(self, unmatched)

    def _apply_latest(self, latest, source):
        purpose = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        channels = {code: self.env["affinity.channel"]._get_by_code(IYS_TYPES[code]) for code in IYS_TYPES}
        consents = {
            (consent.partner_id.id, consent.channel_id.id): consent
            for consent in self.env["affinity.consent"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", list({partner_id for partner_id, _type in latest})),
                    ("channel_id", "in", [channel.id for channel in channels.values()]),
                    ("purpose_id", "=", purpose.id),
                ]
            )
        }
        to_set = defaultdict(list)
        mirrors = []
        for (partner_id, iys_type), change in latest.items():
            channel = channels[iys_type]
            consent = consents.get((partner_id, channel.id))
            moment = turkish_to_utc(change.get("consentDate")) or fields.Datetime.now()
            if consent and consent.iys_date and moment < consent.iys_date:
                continue  # IYS already told us something newer about this recipient
            state = IYS_STATUS[change["status"]]
            ours_newer = (
                self.mode == "ours"
                and consent
                and consent.source != "iys"
                and consent.date_given
                and consent.date_given > moment
            )
            if not ours_newer and (not consent or consent.state != state):
                to_set[(channel, state, change.get("source") or source)].append(partner_id)
            mirrors.append((partner_id, channel.id, change["status"], moment, change.get("transactionId")))
        Partner = self.env["res.partner"].sudo()
        for (channel, state, origin), partner_ids in to_set.items():
            Partner.browse(partner_ids)._affinity_set_consent(
                channel,
                purpose,
                state,
                source="iys",
                note=self.env._("IYS: %(status)s from %(origin)s", status=STATE_TO_IYS[state], origin=origin),
            )
        self._mirror_statuses(purpose, mirrors)

    def _mirror_statuses(self, purpose, mirrors):
        """The registry's status, moment and transaction on each consent, in one statement."""
        if not mirrors:
            return
        Consent = self.env["affinity.consent"]
        Consent.flush_model()
        rows = SQL(", ").join(
            SQL("(%s, %s, %s, %s::timestamp, %s)", partner_id, channel_id, status, moment, transaction)
            for partner_id, channel_id, status, moment, transaction in mirrors
        )
        updated = self.env.execute_query(
            SQL(
                """UPDATE affinity_consent c
                      SET iys_status = v.status, iys_date = v.moment, iys_transaction_id = v.transaction,
                          iys_synced_at = now() AT TIME ZONE 'UTC'
                     FROM (VALUES %(rows)s) AS v(partner_id, channel_id, status, moment, transaction)
                    WHERE c.partner_id = v.partner_id AND c.channel_id = v.channel_id AND c.purpose_id = %(purpose)s
                RETURNING c.id""",
                rows=rows,
                purpose=purpose.id,
            )
        )
        consents = Consent.browse([row[0] for row in updated])
        consents.invalidate_recordset(["iys_status", "iys_date", "iys_transaction_id", "iys_synced_at"])
        consents.modified(["iys_status"])
        consents.flush_recordset()
