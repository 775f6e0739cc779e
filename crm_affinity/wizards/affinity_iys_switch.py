"""Switching IYS on: what changes first, then the first reconciliation and the switch in one step.

Until an account is switched on, commercial messages do not wait for IYS's approval (ONAY) and nothing is
sent to IYS. The wizard counts, in one statement, what switching on changes per IYS type; it asks IYS
through the reconciliation wizard (``affinity.iys.reconcile``), which also keeps IYS's answer on each
consent; on confirmation it takes IYS's newer word and registers ours as that wizard's *Take IYS's* and
*Send ours* do, and switches the account on.
"""

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..tools.iys import CHANNEL_TO_IYS, IYS_PURPOSE, turkish_number_sql
from ..tools.records import reopen

IYS_TYPE_SELECTION = [("MESAJ", "MESAJ"), ("ARAMA", "ARAMA"), ("EPOSTA", "EPOSTA")]
TYPE_ORDER = {code: place for place, (code, _label) in enumerate(IYS_TYPE_SELECTION)}
# The figures of one IYS type, in the order the statement returns them.
FIGURES = ("grants", "held", "to_register", "deadline", "late", "waiting", "taken", "not_concerned", "to_ask")


class AffinityIysSwitch(models.TransientModel):
    _name = "affinity.iys.switch"
    _description = "Affinity IYS Switch On"

    account_id = fields.Many2one("affinity.iys.account", required=True, ondelete="cascade", readonly=True)
    mode = fields.Selection(related="account_id.mode")
    reconcile_id = fields.Many2one(
        "affinity.iys.reconcile",
        string="Comparison with IYS",
        readonly=True,
        help="The reconciliation that asked IYS about every consent; its differences are applied on switching on.",
    )
    asked = fields.Boolean(string="IYS Asked", readonly=True)
    ask_note = fields.Char(string="Asking IYS", readonly=True)
    summary = fields.Text(readonly=True)
    line_ids = fields.One2many("affinity.iys.switch.line", "wizard_id", string="What Changes", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._count()
        return wizards

    def _reopen(self):
        return reopen(self)

    # --- the figures -----------------------------------------------------------------------------------

    def _classified_sql(self):
        """SQL: each marketing consent over an IYS channel of the account's company (those the
        reconciliation compares), with its channel, state, deadline and what switching on does to it:

        - ``no_address``: nothing IYS could hold; ``not_concerned``: a number outside +90, IYS holds none;
        - ``same``: IYS holds what we hold (or a rejection we need not send, either way);
        - ``register``: ours is to be sent (we are master and ours is newer, or IYS holds nothing) and is
          within IYS's 3 business days; ``late``: the same, past them, which IYS refuses;
        - ``waiting``: a grant IYS holds nothing for and that is not ours to send (the registry is master,
          or it came from IYS);
        - ``take``: IYS holds a newer word, which is taken, as the pull takes it.

        What IYS holds is the status the comparison with IYS kept on each consent (``iys_status``)."""
        account = self.account_id
        marketing = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        number = SQL("COALESCE(NULLIF(p.mobile, ''), p.phone)")
        ours = SQL("CASE c.state WHEN 'granted' THEN 'ONAY' WHEN 'denied' THEN 'RET' ELSE 'none' END")
        theirs = SQL("COALESCE(c.iys_status, 'none')")
        return SQL(
            """
            SELECT c.id, ch.code, c.state, c.iys_deadline,
                   CASE WHEN NOT (CASE WHEN ch.address_kind = 'email' THEN COALESCE(p.email_normalized, '') != ''
                                       ELSE COALESCE(%(number)s, '') != '' END) THEN 'no_address'
                        WHEN ch.code != 'email' AND NOT %(turkish)s THEN 'not_concerned'
                        WHEN %(ours)s = %(theirs)s OR (%(ours)s = 'none' AND %(theirs)s = 'RET')
                             OR (%(ours)s = 'RET' AND %(theirs)s = 'none') THEN 'same'
                        WHEN %(master)s AND c.source IS DISTINCT FROM 'iys' AND %(ours)s != 'none'
                             AND (%(theirs)s = 'none' OR c.date_given > c.iys_date)
                             THEN CASE WHEN COALESCE(%(last_moment)s, %(now)s) >= %(now)s THEN 'register'
                                       ELSE 'late' END
                        WHEN %(theirs)s = 'none' THEN 'waiting'
                        ELSE 'take' END AS bucket
              FROM affinity_consent c
              JOIN affinity_channel ch ON ch.id = c.channel_id
              JOIN res_partner p ON p.id = c.partner_id
             WHERE c.purpose_id = %(purpose)s AND ch.code = ANY(%(codes)s)
               AND (c.company_id = %(company)s OR c.company_id IS NULL)
            """,
            number=number,
            turkish=turkish_number_sql(number, SQL("p.country_id"), self.env.ref("base.tr").id),
            ours=ours,
            theirs=theirs,
            master=account.mode == "ours",
            # İzin Doğrulama Kuralları: 3 business days from the date and the hour: IYS takes a consent until
            # its deadline day at the hour it was given (GMT+3), here in UTC as the database keeps moments. A
            # grant with no date goes dated the moment it is sent, in time.
            last_moment=SQL(
                "(c.iys_deadline + (c.date_given + interval '3 hours')::time - interval '3 hours')"
            ),
            now=fields.Datetime.now(),
            purpose=marketing.id,
            codes=list(CHANNEL_TO_IYS),
            company=account.company_id.id,
        )

    def _count(self):
        """The figures per IYS type, in one statement: lines for the wizard and the totals."""
        self.ensure_one()
        self.env["affinity.consent"].flush_model()
        self.env["res.partner"].flush_model(["email_normalized", "mobile", "phone", "country_id"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH classified AS (%(classified)s)
                SELECT code,
                       count(*) FILTER (WHERE state = 'granted' AND bucket NOT IN ('no_address', 'not_concerned')),
                       count(*) FILTER (WHERE state = 'granted' AND bucket = 'same'),
                       count(*) FILTER (WHERE bucket = 'register'),
                       min(iys_deadline) FILTER (WHERE bucket = 'register'),
                       count(*) FILTER (WHERE bucket = 'late'),
                       count(*) FILTER (WHERE bucket = 'waiting'),
                       count(*) FILTER (WHERE bucket = 'take'),
                       count(*) FILTER (WHERE state = 'granted' AND bucket = 'not_concerned'),
                       count(*) FILTER (WHERE bucket NOT IN ('no_address', 'not_concerned'))
                  FROM classified
                 GROUP BY code
                """,
                classified=self._classified_sql(),
            )
        )
        by_code = {row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in rows}
        channels = self.env["affinity.channel"].search([("code", "in", list(CHANNEL_TO_IYS))])
        empty = dict.fromkeys(FIGURES, 0) | {"deadline": False}
        lines = [
            dict(
                empty,
                **by_code.get(channel.code, {}),
                channel_id=channel.id,
                iys_type=CHANNEL_TO_IYS[channel.code],
            )
            for channel in channels.sorted(lambda channel: TYPE_ORDER[CHANNEL_TO_IYS[channel.code]])
        ]
        totals = {key: sum(line[key] for line in lines) for key in FIGURES if key != "deadline"}
        deadlines = [line["deadline"] for line in lines if line["deadline"]]
        totals["deadline"] = min(deadlines) if deadlines else False
        pace = max(self.account_id.status_per_second, 1)
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [
                    (0, 0, {key: value for key, value in line.items() if key != "to_ask"}) for line in lines
                ],
                "ask_note": self.env._(
                    "IYS is asked about %(count)s consents, one after the other at %(pace)s a second: about "
                    "%(seconds)s seconds.",
                    count=totals["to_ask"],
                    pace=pace,
                    seconds=-(-totals["to_ask"] // pace),
                ),
                "summary": self._summary(totals) if self.asked else False,
            }
        )
        return totals

    def _summary(self, totals):
        """What switching on does (or did), in words."""
        deadline = format_date(self.env, totals["deadline"]) if totals["deadline"] else "-"
        return self.env._(
            "Commercial messages over e-mail, SMS and phone need IYS's approval (ONAY) from now on. "
            "%(grants)s grants need it: IYS already holds %(held)s; %(register)s consents are registered at IYS "
            "(the first due by %(deadline)s); %(late)s are past IYS's 3 business days and %(waiting)s wait for "
            "IYS: they stay blocked until the person approves at IYS. IYS's newer word is taken for %(taken)s "
            "consents. %(foreign)s grants to numbers outside Turkey are not concerned.",
            grants=totals["grants"],
            held=totals["held"],
            register=totals["to_register"],
            deadline=deadline,
            late=totals["late"],
            waiting=totals["waiting"],
            taken=totals["taken"],
            foreign=totals["not_concerned"],
        )

    # --- actions ---------------------------------------------------------------------------------------

    def action_ask(self):
        """Ask IYS about every consent through the reconciliation wizard, then count again."""
        self.ensure_one()
        reconcile = self.env["affinity.iys.reconcile"].create({"account_id": self.account_id.id})
        reconcile.action_compare()
        self.write({"reconcile_id": reconcile.id, "asked": True})
        self._count()
        return self._reopen()

    def action_confirm(self):
        """The first reconciliation and the switch, in one step: IYS's newer word taken, ours queued for
        registration (the push cron sends it at once), the account switched on and the chatter told."""
        self.ensure_one()
        account = self.account_id
        if account.state == "on":
            return {"type": "ir.actions.act_window_close"}
        if not self.asked:
            self.action_ask()
        totals = self._count()
        lines = self.reconcile_id.line_ids
        buckets = dict(
            self.env.execute_query(
                SQL(
                    "WITH classified AS (%s) SELECT id, bucket FROM classified WHERE id = ANY(%s)",
                    self._classified_sql(),
                    lines.consent_id.ids,
                )
            )
        )
        account.write(
            {"state": "on", "switched_on_at": fields.Datetime.now(), "switched_on_by_id": self.env.uid}
        )
        lines.filtered(lambda line: buckets.get(line.consent_id.id) == "take").action_take_iys()
        lines.filtered(lambda line: buckets.get(line.consent_id.id) == "register").action_send_ours()
        message = self.env._("IYS switched on. %s", self._summary(totals))
        account.message_post(body=message)
        self.env.ref("crm_affinity.ir_cron_affinity_iys_push").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("IYS switched on"),
                "message": message,
                "sticky": True,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class AffinityIysSwitchLine(models.TransientModel):
    _name = "affinity.iys.switch.line"
    _description = "Affinity IYS Switch On Line"
    _order = "id"

    wizard_id = fields.Many2one("affinity.iys.switch", required=True, ondelete="cascade")
    channel_id = fields.Many2one("affinity.channel", readonly=True)
    iys_type = fields.Selection(IYS_TYPE_SELECTION, string="IYS Type", readonly=True)
    grants = fields.Integer(
        string="Grants Needing ONAY",
        readonly=True,
        help="Marketing grants over this channel to a recipient IYS can hold: once IYS is switched on, each "
        "needs IYS's approval (ONAY) before a commercial message goes.",
    )
    held = fields.Integer(
        string="Already at IYS", readonly=True, help="Of these grants, those IYS already holds an ONAY for."
    )
    to_register = fields.Integer(
        readonly=True,
        help="Our consents IYS does not hold yet, within IYS's 3 business days: queued for IYS on switching on.",
    )
    deadline = fields.Date(
        string="First Due By",
        readonly=True,
        help="The earliest day one of them must reach IYS: 3 business days from the day it was given, in "
        "Turkish time, over Turkey's public holidays.",
    )
    late = fields.Integer(
        string="Past 3 Business Days",
        readonly=True,
        help="Our consents IYS does not hold whose 3 business days have passed: IYS refuses them, so they are "
        "not sent; such a grant stays blocked until the person approves at IYS (Overdue at IYS lists them).",
    )
    waiting = fields.Integer(
        string="Waiting for IYS",
        readonly=True,
        help="Grants IYS holds nothing for that are not ours to send (the registry is master, or the consent "
        "came from IYS): blocked until IYS holds an ONAY.",
    )
    taken = fields.Integer(
        string="IYS's Newer Word",
        readonly=True,
        help="Consents for which IYS holds a newer word than ours: IYS's is taken, as Take IYS's does.",
    )
    not_concerned = fields.Integer(
        string="Outside Turkey",
        readonly=True,
        help="Grants to numbers outside +90: IYS holds Turkish numbers only, so they need no ONAY.",
    )
