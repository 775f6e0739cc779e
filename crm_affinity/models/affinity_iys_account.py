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
import time
from collections import defaultdict, namedtuple

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

from ..tools.batching import commit_unless_testing, read_ahead
from ..tools.dates import TURKEY, turkish_to_utc
from ..tools.inputs import normalize_email
from ..tools.iys import (
    CHANNEL_TO_IYS,
    IYS_PURPOSE,
    IYS_STATUS,
    IYS_TYPES,
    RECIPIENT_TYPES,
    STATE_TO_IYS,
    iys_error_label,
    iys_holds,
)
from ..tools.iys_client import BULK_MAX, CHANGE_FILE_DAYS, IysClient, IysError
from ..tools.phone import partner_ids_by_iys_number, phone_key
from ..tools.sql import array_literal, id_array

_logger = logging.getLogger(__name__)
MANAGER = "crm_affinity.group_affinity_manager"
# A paused account (H084, 429) asks again after this long, unless IYS said when.
PAUSE = datetime.timedelta(hours=1)


# A consent as the pull weighs a change against it.
Mirrored = namedtuple("Mirrored", "iys_date source date_given state")


def _moment(change):
    """A change's moment as a UTC datetime: its consentDate, else (a merchant's consent may have none) the
    moment IYS registered it, else the oldest possible."""
    return (
        turkish_to_utc(change.get("consentDate"))
        or turkish_to_utc(change.get("creationDate"))
        or datetime.datetime.min
    )


# What a change writes here (on the consent, its history or the list of unknown recipients).
WRITTEN_FIELDS = ("recipient", "recipientType", "consentDate", "creationDate", "source", "transactionId")


def _well_formed(change):
    """Is this change in the form the pages document (a recipient, a type, a status, a recipient type, a
    moment)? A malformed one can apply to no consent and is left aside rather than stop the pages after it."""
    return (
        isinstance(change, dict)
        and isinstance(change.get("recipient"), str)
        and bool(change["recipient"].strip())
        and change.get("type") in IYS_TYPES
        and change.get("status") in IYS_STATUS
        and change.get("recipientType") in (None, "", *RECIPIENT_TYPES.values())
        and all(
            isinstance(change.get(name), str | None) for name in ("consentDate", "creationDate", "source")
        )
        # Text PostgreSQL can hold (no NUL), in every field written.
        and not any("\x00" in str(change.get(name) or "") for name in WRITTEN_FIELDS)
        # A moment to weigh it by: the consentDate, or (a merchant's may have none) IYS's creationDate.
        and _moment(change) != datetime.datetime.min
    )


def _change_pages(client, source, after, limit):
    """İzin Hareketi Sorgulama (Pull) page by page from ``after``, until a page comes short. No ORM: it is
    read ahead in a thread (``read_ahead``)."""
    while True:
        page = client.changes(source, after=after, limit=limit)
        if not isinstance(page, dict) or not isinstance(page.get("list") or [], list):
            raise IysError("retry", "IYS answered a page of changes that is not one")
        yield page
        if len(page.get("list") or []) < limit:
            return
        if not page.get("after"):
            # A full page and no cursor to go on from: asking again would read the same page for ever.
            raise IysError("retry", "IYS answered a full page of changes without a cursor")
        after = page["after"]


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
    state = fields.Selection(
        [("draft", "Not switched on"), ("on", "Switched on")],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        help="Not switched on: commercial messages do not wait for IYS's approval (ONAY) and nothing is sent "
        "to IYS or read from it. Switch IYS on shows first what changes, then runs the first reconciliation "
        "and switches on in the same step.",
    )
    switched_on_at = fields.Datetime(readonly=True, copy=False)
    switched_on_by_id = fields.Many2one("res.users", readonly=True, copy=False)
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
    batch_size = fields.Integer(
        default=BULK_MAX, help=f"Consents per bulk request, at most {BULK_MAX} (IYS's bulk request)."
    )
    pull_limit = fields.Integer(default=1000, help="Changes read per page.")
    pull_minutes = fields.Integer(
        string="Pull Every (minutes)",
        default=60,
        help="How often the registry's changes are read (IYS serves them an hour late).",
    )
    status_per_second = fields.Integer(
        string="Status Queries per Second", default=5, help="How fast reconciliation asks IYS."
    )
    status_max_age = fields.Integer(
        string="Ask IYS Again After (hours)",
        default=48,
        help="Before a commercial message goes out, an approval (ONAY) last confirmed with IYS longer ago "
        "than this is asked again, recipient by recipient. The nightly change file confirms every approval "
        "up to the end of the day before.",
    )
    changes_file_date = fields.Date(
        string="Change File Read Up To",
        readonly=True,
        copy=False,
        help="The last day whose change file from IYS was applied (nightly reconciliation).",
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

    def _auto_init(self):
        # Accounts made before the switch existed already held every commercial message to IYS's ONAY: an
        # upgrade keeps them switched on (a new column would otherwise take the default, not switched on).
        cr = self.env.cr
        if table_exists(cr, self._table) and not column_exists(cr, self._table, "state"):
            create_column(cr, self._table, "state", "varchar")
            cr.execute(SQL("UPDATE %s SET state = 'on'", SQL.identifier(self._table)))
        return super()._auto_init()

    @api.depends("company_id", "brand_code")
    def _compute_name(self):
        for account in self:
            account.name = f"IYS – {account.company_id.name} ({account.brand_code or '…'})"

    @api.constrains("batch_size", "pull_limit", "status_per_second", "pull_minutes", "status_max_age")
    def _check_sizes(self):
        for account in self:
            if (
                min(account.batch_size, account.pull_limit, account.status_per_second, account.pull_minutes)
                < 1
            ):
                raise UserError(self.env._("Batch size, page size and queries per second are at least 1."))
            if account.batch_size > BULK_MAX:
                raise ValidationError(
                    self.env._(
                        "Batch size: IYS takes at most %(max)s consents in one bulk request, not %(size)s.",
                        max=BULK_MAX,
                        size=account.batch_size,
                    )
                )
            if account.status_max_age < 0:
                raise ValidationError(self.env._("Ask IYS Again After (hours) cannot be negative."))

    # --- actions ---------------------------------------------------------------------------------------

    def action_test_connection(self):
        """Log in with the stored credentials and find the brand among the IYS code's brands (Marka
        Listeleme): a plain answer either way, saying what to do; nothing else changes."""
        self.ensure_one()
        client = self._client(fresh=True)
        try:
            client.access_token()
        except IysError as error:
            raise UserError(self._connection_error_text(error)) from None
        try:
            brands = client.brands()
        except IysError as error:
            if error.kind != "auth":
                raise UserError(self._connection_error_text(error)) from None
            raise UserError(
                self.env._(
                    "The user name and password are right, but IYS does not let this user list the brands of "
                    "IYS code %(code)s (HTTP %(status)s). Check the IYS Code and the API user's rights in IYS, "
                    "then test again.",
                    code=self.iys_code,
                    status=error.http_status,
                )
            ) from None
        self._save_tokens(client)
        names = {str(brand.get("brandCode")): brand.get("name") or "" for brand in brands or []}
        if str(self.brand_code).strip() not in names:
            raise UserError(
                self.env._(
                    "The user name and password are right, but IYS has no brand %(brand)s under IYS code "
                    "%(code)s. The brands of this IYS code: %(brands)s. Correct the Brand Code and test again.",
                    brand=self.brand_code,
                    code=self.iys_code,
                    brands=", ".join(f"{code} ({name})" for code, name in names.items()) or "-",
                )
            )
        self.last_error = False
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("IYS"),
                "message": self.env._(
                    "Connected to IYS as brand %(brand)s (%(name)s).",
                    brand=self.brand_code,
                    name=names[str(self.brand_code).strip()],
                ),
            },
        }

    def _connection_error_text(self, error):
        """Why a connection test failed, and what to do about it, in plain words."""
        if error.kind == "retry" and not error.http_status:
            return self.env._(
                "IYS could not be reached at %(url)s (%(reason)s). Nothing was sent. Check the Base URL and "
                "that this server can reach the internet, then test again.",
                url=self.base_url,
                reason=str(error).rsplit(": ", 1)[-1],
            )
        if error.kind == "retry":
            return self.env._(
                "IYS answered with a server error (HTTP %(status)s): the registry itself is failing. "
                "Nothing was sent; test again later.",
                status=error.http_status,
            )
        if error.kind == "auth":
            return self.env._(
                "IYS refused the user name or password (HTTP %(status)s). Check them with the IYS API user "
                "of this company and test again.",
                status=error.http_status,
            )
        if error.kind == "pause":
            return self.env._(
                "IYS asks us to wait (%(meaning)s). Test again in an hour.",
                meaning=iys_error_label(self.env, error),
            )
        if error.http_status == 404:
            return self.env._(
                "IYS does not know IYS code %(code)s (HTTP 404). Correct the IYS Code and test again.",
                code=self.iys_code,
            )
        return self._error_text(error)

    def action_switch_on(self):
        """The switch, one wizard: what changes first (counted here, then asked of IYS), then the first
        reconciliation and the switch in one step."""
        self.ensure_one()
        if self.state == "on":
            raise UserError(self.env._("IYS is already switched on for %s.", self.company_id.name))
        wizard = self.env["affinity.iys.switch"].create({"account_id": self.id})
        return wizard._reopen()

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
        if error.kind == "retry":
            # Nothing was refused: IYS was out of reach or failing, and the change waits for the next run.
            return iys_error_label(self.env, error)
        if error.http_status == 404 and error.kind == "rejected":
            return self.env._(
                "IYS does not know this IYS code or brand (HTTP 404): check them with Test connection."
            )
        code = error.code or error.http_status
        if not code:
            return self.env._("IYS refused: %s", iys_error_label(self.env, error))
        return self.env._(
            "IYS refused: %(meaning)s (%(code)s)",
            meaning=iys_error_label(self.env, error),
            code=code,
        )

    def _available(self):
        now = fields.Datetime.now()
        return self.filtered(lambda account: not account.paused_until or account.paused_until <= now)

    def _partner_companies(self):
        """The companies whose partners this account speaks for: its own, and partners of no company while no
        other company has IYS switched on (a consent holds one registry's word: two brands' words on one
        shared partner would overwrite each other; such a partner's changes then wait for review)."""
        self.ensure_one()
        others = self.sudo().search_count(
            [("state", "=", "on"), ("active", "=", True), ("company_id", "!=", self.company_id.id)]
        )
        return [self.company_id.id] if others else [self.company_id.id, False]

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
    def _switched_on(self):
        """The accounts that are switched on: the only ones the crons and the decision work for."""
        return self.search([("active", "=", True), ("state", "=", "on")])

    @api.model
    def _cron_push(self):
        self._switched_on()._push()

    @api.model
    def _cron_pull(self):
        now = fields.Datetime.now()
        self._switched_on().filtered(
            lambda a: not a.last_pull or a.last_pull + datetime.timedelta(minutes=a.pull_minutes) <= now
        )._pull()

    @api.model
    def _cron_deadlines(self):
        self._switched_on()._warn_overdue()

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
                limit=min(self.batch_size, BULK_MAX),
                order="id",
            )
            if not batch:
                return
            # Marked as being sent before the request goes: a crash after it is recognised next run.
            batch.write({"state": "sending"})
            commit_unless_testing(self.env)
            payloads = [push._payload() for push in batch]
            try:
                answer = client.submit(payloads)
            except IysError as error:
                batch._failed_attempt(error)
                if error.kind in ("pause", "auth"):
                    raise
                return
            batch._submitted(answer, payloads)
            commit_unless_testing(self.env)
            self.env["ir.cron"]._notify_progress(done=len(batch), remaining=0)

    def _pull(self):
        for account in self._available():
            client = account._client()
            try:
                # Our brand's own changes first, the citizens' last: on a tie the citizen's word stands.
                # İzin Hareketi Sorgulama (Pull): source=IYS is not live yet and answers empty; it is read all
                # the same for the day it goes live. Until then citizens' changes arrive by the status check
                # before a commercial message and by the nightly change file.
                for source, cursor_field in (("HS", "cursor_hs"), ("IYS", "cursor_iys")):
                    pages = _change_pages(client, source, account[cursor_field], account.pull_limit)
                    for page in read_ahead(pages):
                        changes = page.get("list") or []
                        if changes:
                            account._apply_changes(changes, source)
                        if page.get("after"):
                            account[cursor_field] = page["after"]
                        commit_unless_testing(self.env)
            except IysError as error:
                account._handle_account_error(client, error)
                continue
            account._save_tokens(client)
            account.write({"last_pull": fields.Datetime.now(), "last_error": False})

    @api.model
    def _cron_reconcile(self):
        self._switched_on()._reconcile_from_change_files()

    def _reconcile_from_change_files(self):
        """The nightly reconciliation: every day's change file (Günlük İzin Hareket Dosyası) since the last
        one applied, at most the 7 days before today, applied like the pull. When the days read join the
        last run's, every approval mirrored here is confirmed up to the end of the last day read."""
        today = fields.Datetime.now().replace(tzinfo=datetime.UTC).astimezone(TURKEY).date()
        first = today - datetime.timedelta(days=CHANGE_FILE_DAYS)
        for account in self._available():
            last = account.changes_file_date
            joined = bool(last) and last >= first - datetime.timedelta(days=1)
            day = max(first, last + datetime.timedelta(days=1)) if last else first
            client = account._client()
            try:
                days = [day + datetime.timedelta(days=n) for n in range((today - day).days)]
                for day, lines in read_ahead((day, client.change_file(day)) for day in days):
                    for start in range(0, len(lines), account.pull_limit):
                        account._apply_changes(lines[start : start + account.pull_limit], "IYS")
                    account.changes_file_date = day
                    commit_unless_testing(self.env)
            except IysError as error:
                account._handle_account_error(client, error)
                continue
            account._save_tokens(client)
            if joined and account.changes_file_date:
                account._confirm_mirrors_until(account.changes_file_date)
            commit_unless_testing(self.env)

    def _confirm_mirrors_until(self, day):
        """Every approval mirrored for this account is what IYS held at the end of ``day`` (Turkish time)."""
        self.ensure_one()
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=TURKEY)
        until = end.astimezone(datetime.UTC).replace(tzinfo=None)
        purpose = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        channels = self.env["affinity.channel"].search([("iys_type", "!=", False)])
        Consent = self.env["affinity.consent"]
        Consent.flush_model(["iys_status", "iys_synced_at", "company_id", "channel_id", "purpose_id"])
        updated = self.env.execute_query(
            SQL(
                """UPDATE affinity_consent
                      SET iys_synced_at = %(until)s
                    WHERE iys_status IS NOT NULL AND purpose_id = %(purpose)s AND channel_id = ANY(%(channels)s)
                      AND (company_id = %(company)s OR company_id IS NULL)
                      AND (iys_synced_at IS NULL OR iys_synced_at < %(until)s)
                RETURNING id""",
                until=until,
                purpose=purpose.id,
                channels=channels.ids,
                company=self.company_id.id,
            )
        )
        Consent.browse([row[0] for row in updated]).invalidate_recordset(["iys_synced_at"])

    @api.model
    def _confirm_before_sending(self, partners, channel):
        """Tekil İzin Durumu Sorgulama before a commercial message: each recipient whose approval (ONAY) was
        last confirmed with IYS longer ago than the account's age is asked again, and what IYS says now is
        applied (a citizen's RET turns the consent down before the message goes). The pull cannot say it:
        ``changes?source=IYS`` answers empty."""
        channel = self.env["affinity.channel"]._get_by_code(channel)
        iys_type = channel and (CHANNEL_TO_IYS.get(channel.code) or channel.iys_type)
        if not partners or not iys_type:
            return 0
        asked = 0
        purpose = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        for account in self.sudo()._switched_on()._available():
            stale_before = fields.Datetime.now() - datetime.timedelta(hours=account.status_max_age)
            consents = (
                self.env["affinity.consent"]
                .sudo()
                .search(
                    [
                        ("partner_id", "in", partners.ids),
                        ("channel_id", "=", channel.id),
                        ("purpose_id", "=", purpose.id),
                        ("iys_status", "=", "ONAY"),
                        # The partners this brand speaks for (``_partner_companies``): a partner of no company
                        # is asked only while no other company has IYS switched on.
                        ("company_id", "in", account._partner_companies()),
                        "|",
                        ("iys_synced_at", "=", False),
                        ("iys_synced_at", "<", stale_before),
                    ]
                )
            )
            if not consents:
                continue
            client = account._client()
            pause = 1.0 / max(account.status_per_second, 1)
            changes, gone = [], []
            next_at = time.monotonic()
            try:
                for consent in consents:
                    recipient = consent.partner_id._affinity_iys_recipient(channel)
                    if not iys_holds(iys_type, recipient):
                        continue
                    # At most the account's pace: the time a request took counts towards the wait.
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at = time.monotonic() + pause
                    asked += 1
                    kind = consent.partner_id._affinity_iys_recipient_type()
                    current = client.status(recipient, kind, iys_type)
                    if current:
                        # The answer is about the record asked for, whatever it repeats of the question.
                        changes.append(dict(current, recipient=recipient, type=iys_type, recipientType=kind))
                    else:
                        gone.append(consent.id)
            except IysError as error:
                # Those not asked keep the approval mirrored here; the administrator sees why.
                account._handle_account_error(client, error)
            account._save_tokens(client)
            if changes:
                account._apply_changes(changes, "IYS", confirmed=True)
            if gone:
                # IYS holds nothing for them (any more): no approval to send on.
                self.env["affinity.consent"].browse(gone).write(
                    {"iys_status": False, "iys_synced_at": fields.Datetime.now()}
                )
        return asked

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

    def _apply_changes(self, changes, source, confirmed=False):
        """IYS's word on each recipient, applied set-based to their consents; strangers wait for review.

        ``confirmed``: the changes are IYS's current status (a status query), not past movements (the pull,
        the change file): then they also count as the moment each approval was last confirmed."""
        self.ensure_one()
        kept = [change for change in changes if _well_formed(change)]
        if len(kept) < len(changes):
            _logger.warning(
                "IYS account %s: %s change(s) not in the documented form left aside",
                self.id,
                len(changes) - len(kept),
            )
        changes = kept
        Partner = self.env["res.partner"].sudo()
        # Each address normalised once: a page repeats recipients, and normalising parses the address.
        emails = {
            c["recipient"]: normalize_email(c["recipient"]) for c in changes if c.get("type") == "EPOSTA"
        }
        # The active partners of this account's company holding each address, by kind: a person's and a
        # merchant's consent to one address are two records at IYS, so a TACIR record speaks for a company
        # holding the address and a BIREYSEL one for a person.
        companies = self._partner_companies()
        Partner.flush_model(["email_normalized", "company_id", "is_company"])
        query = Partner._search([("company_id", "in", companies)], order=Partner._order)
        # The addresses bound as one array rather than a tuple of a thousand parameters.
        query.add_where(
            SQL(
                "%s = ANY(%s::varchar[])",
                SQL.identifier(query.table, "email_normalized"),
                array_literal([email for email in set(emails.values()) if email]),
            )
        )
        by_email = defaultdict(list)
        for partner_id, email, is_company in self.env.execute_query(
            query.select(
                SQL.identifier(query.table, "id"),
                SQL.identifier(query.table, "email_normalized"),
                SQL.identifier(query.table, "is_company"),
            )
        ):
            by_email[email, RECIPIENT_TYPES[bool(is_company)]].append(partner_id)
        by_phone = {
            (key, RECIPIENT_TYPES[is_company]): partner_ids
            for (key, is_company), partner_ids in partner_ids_by_iys_number(
                self.env, [phone_key(c["recipient"]) for c in changes if c["type"] != "EPOSTA"], companies
            ).items()
        }
        latest, unmatched = {}, []
        for change in changes:
            kind = change.get("recipientType") or "BIREYSEL"
            if change["type"] == "EPOSTA":
                holders = by_email.get((emails[change["recipient"]], kind))
            else:
                holders = by_phone.get((phone_key(change["recipient"]), kind))
            if not holders:
                unmatched.append(change)
                continue
            # A RET closes the address for everyone of its kind holding it (a call has no blacklist to carry
            # it to the others); an approval is the first holder's, the one IYS knows by the address.
            for partner_id in holders if change["status"] == "RET" else holders[:1]:
                # Within a page the newer word of a recipient stands: the later consentDate (the person's
                # own moment), the later listed on a tie.
                key = (partner_id, change["type"])
                if key not in latest or _moment(change) >= _moment(latest[key]):
                    latest[key] = change
        if latest:
            self._apply_latest(latest, source, confirmed)
        if unmatched:
            self.env["affinity.iys.unmatched"]._keep(self, unmatched)

    def _apply_latest(self, latest, source, confirmed=False):
        purpose = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        channels = {code: self.env["affinity.channel"]._get_by_code(IYS_TYPES[code]) for code in IYS_TYPES}
        Consent = self.env["affinity.consent"]
        Consent.flush_model(
            ["partner_id", "channel_id", "purpose_id", "iys_date", "source", "date_given", "state"]
        )
        # What each recipient's consent says now, read raw: a page reads a thousand of them.
        consents = {
            (row[0], row[1]): Mirrored(*row[2:])
            for row in self.env.execute_query(
                SQL(
                    """SELECT partner_id, channel_id, iys_date, source, date_given, state
                         FROM affinity_consent
                        WHERE partner_id = ANY(%s::int[]) AND channel_id = ANY(%s::int[]) AND purpose_id = %s""",
                    id_array(list({partner_id for partner_id, _type in latest})),
                    id_array([channel.id for channel in channels.values()]),
                    purpose.id,
                )
            )
        }
        to_set = defaultdict(dict)
        mirrors = []
        channel_ids = {code: channel.id for code, channel in channels.items()}
        we_are_master = self.mode == "ours"
        for (partner_id, iys_type), change in latest.items():
            channel, channel_id = channels[iys_type], channel_ids[iys_type]
            consent = consents.get((partner_id, channel_id))
            # The person's own moment (consentDate, Turkish time; for a merchant's consent without one, when IYS
            # registered it), not the moment we read it.
            moment = _moment(change)
            if consent and consent.iys_date and moment < consent.iys_date:
                continue  # IYS already told us something newer about this recipient
            state = IYS_STATUS[change["status"]]
            ours_newer = (
                we_are_master
                and consent
                and consent.source != "iys"
                and consent.date_given
                and consent.date_given > moment
            )
            if not ours_newer and (not consent or consent.state != state):
                to_set[(channel, state, change.get("source") or source)][partner_id] = moment
            mirrors.append((partner_id, channel_id, change["status"], moment, change.get("transactionId")))
        Partner = self.env["res.partner"].sudo()
        synced_at = fields.Datetime.now() if confirmed else None
        record = {(mirror[0], mirror[1]): (*mirror[2:], synced_at) for mirror in mirrors}
        written = set()
        for (channel, state, origin), moments in to_set.items():
            channel_id = channel.id
            # The history carries each person's own moment as its consent date; IYS's record of the change is
            # written with it where the consents are written set-based.
            partners = Partner.browse(list(moments))
            consents = partners._affinity_set_consent(
                channel,
                purpose,
                state,
                source="iys",
                note=self.env._("IYS: %(status)s from %(origin)s", status=STATE_TO_IYS[state], origin=origin),
                date_given=moments,
                iys_mirror={partner_id: record[partner_id, channel_id] for partner_id in moments},
            )
            if consents and self.env["affinity.consent"]._bulk_applies(partners, state, None):
                # Only the consents it wrote carry IYS's record: one an earlier group's cascade (a shared
                # address blacklisted) already turned down is left to ``_mirror_statuses``.
                written.update(self._consent_keys(consents))
        self._mirror_statuses(purpose, [mirror for mirror in mirrors if mirror[:2] not in written], confirmed)

    def _consent_keys(self, consents):
        """(partner, channel) of each consent, read raw."""
        consents.flush_recordset(["partner_id", "channel_id"])
        return self.env.execute_query(
            SQL(
                "SELECT partner_id, channel_id FROM affinity_consent WHERE id = ANY(%s::int[])",
                id_array(consents.ids),
            )
        )

    def _mirror_statuses(self, purpose, mirrors, confirmed=False):
        """The registry's status, moment and transaction on each consent, in one statement; *Registered at
        IYS* recomputed in it where no number decides it (``_compute_iys_in_sync``), as its recompute would
        write it (who and when included)."""
        if not mirrors:
            return
        Consent = self.env["affinity.consent"]
        Consent.flush_model()
        partner_ids, channel_ids, statuses, moments, transactions = (
            list(column) for column in zip(*mirrors, strict=True)
        )
        updated = self.env.execute_query(
            SQL(
                """UPDATE affinity_consent c
                      SET iys_status = v.status, iys_date = v.moment, iys_transaction_id = v.transaction,
                          iys_synced_at = CASE WHEN %(confirmed)s THEN %(now)s ELSE c.iys_synced_at END,
                          iys_in_sync = CASE WHEN ch.address_kind IN ('phone', 'mobile') AND ch.iys_type IS NOT NULL
                                             THEN c.iys_in_sync
                                             ELSE COALESCE(c.state = 'granted' AND v.status = 'ONAY'
                                                  OR c.state = 'denied' AND v.status IS DISTINCT FROM 'ONAY'
                                                  OR c.state NOT IN ('granted', 'denied'), FALSE) END,
                          write_uid = %(uid)s, write_date = %(written)s
                     FROM unnest(%(partners)s::int[], %(channels)s::int[], %(statuses)s::varchar[],
                                 %(moments)s::timestamp[], %(transactions)s::varchar[])
                          AS v(partner_id, channel_id, status, moment, transaction),
                          affinity_channel ch
                    WHERE c.partner_id = v.partner_id AND c.channel_id = v.channel_id AND c.purpose_id = %(purpose)s
                      AND ch.id = c.channel_id
                RETURNING c.id, ch.address_kind IN ('phone', 'mobile') AND ch.iys_type IS NOT NULL""",
                partners=array_literal(partner_ids),
                channels=array_literal(channel_ids),
                statuses=array_literal(statuses),
                moments=array_literal(moments),
                transactions=array_literal(transactions),
                purpose=purpose.id,
                now=fields.Datetime.now(),
                confirmed=confirmed,
                uid=self.env.uid,
                written=self.env.cr.now(),
            )
        )
        consents = Consent.browse([row[0] for row in updated])
        consents.invalidate_recordset(
            [
                "iys_status",
                "iys_date",
                "iys_transaction_id",
                "iys_synced_at",
                "iys_in_sync",
                "write_uid",
                "write_date",
            ]
        )
        consents.modified(["iys_status"])
        self.env.remove_to_compute(
            Consent._fields["iys_in_sync"], Consent.browse([row[0] for row in updated if not row[1]])
        )
        consents.flush_recordset()
