import ast
import datetime
import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools.batching import process_in_batches

_logger = logging.getLogger(__name__)

TRIGGERS = [
    ("important_date", "Important date"),
    ("cadence", "Contact cadence overdue"),
    ("sale_confirmed", "Sale order confirmed"),
    ("opportunity_won", "Opportunity won"),
    ("opportunity_lost", "Opportunity lost"),
    ("first_purchase", "First purchase (welcome)"),
    ("lapsing", "Lapsing customer (win-back)"),
    ("complaint_open", "Complaint still open"),
    ("partner_domain", "Any partner matching the filter"),
]
ACTIONS = [
    ("activity", "Schedule an activity"),
    ("email", "Send an e-mail template"),
    ("sms", "Send an SMS template"),
    ("best_channel", "Best permitted channel"),
]
ASSIGNEES = [
    ("owner", "Relationship owner"),
    ("salesperson", "Salesperson"),
    ("fixed", "A fixed user"),
]
# Indexes this addon adds to core tables for the planner (dropped again on uninstall).
PLANNER_INDEXES = [
    ("crm_lead_affinity_date_closed_idx", "crm_lead", "date_closed", "date_closed IS NOT NULL"),
]
# How far back a missed day is still planned (a cron that did not run for a few days).
GRACE_DAYS = 7
# How far ahead follow-ups are planned, so "next 7 days" lists what is coming.
LOOKAHEAD_DAYS = 7
# What a rule may say, in days (documented in readme/CONFIGURE.md): an offset within ten years of the event
# either way, a wait of at most a year, a fixed lapse and a repetition of one day to ten years.
OFFSET_LIMIT_DAYS = 3660
MAX_WAIT_LIMIT_DAYS = 366
LAPSE_LIMIT_DAYS = 3660
REPEAT_LIMIT_DAYS = 3660


class AffinityFollowupRule(models.Model):
    """When something happens to a customer, what should follow, over which channel, for whom."""

    _name = "affinity.followup.rule"
    _description = "Affinity Follow-up Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    trigger = fields.Selection(TRIGGERS, required=True, default="important_date")
    date_kind_id = fields.Many2one("affinity.date.kind")
    offset_days = fields.Integer(
        string="Offset (days)",
        help="Days after the event the follow-up is due; negative: before it (a reminder 3 days before a "
        "birthday is -3).",
    )
    lapse_mode = fields.Selection(
        [("own", "Beyond the customer's own purchase interval"), ("fixed", "A fixed number of days")],
        default="own",
        help="Own interval: see the lapse settings of the company (factor and minimum days).",
    )
    lapse_days = fields.Integer(default=90, help="Fixed mode: days without a purchase.")
    repeat_days = fields.Integer(
        default=0,
        help="Complaints and partner filters: repeat every N days while the condition holds (0: once).",
    )
    partner_domain = fields.Char(
        string="Customers", default="[]", help="Only customers matching this filter (e.g. a segment)."
    )
    action = fields.Selection(ACTIONS, required=True, default="activity")
    purpose_id = fields.Many2one(
        "affinity.purpose",
        required=True,
        default=lambda self: self.env.ref(
            "crm_affinity.affinity_purpose_relationship", raise_if_not_found=False
        ),
        help="What the consent decision is asked about before any message goes out.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False),
    )
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    assignee = fields.Selection(ASSIGNEES, default="owner", required=True)
    user_id = fields.Many2one("res.users", string="Fixed User", domain=[("share", "=", False)])
    mail_template_id = fields.Many2one("mail.template", domain=[("model", "=", "res.partner")])
    sms_template_id = fields.Many2one("sms.template", domain=[("model", "=", "res.partner")])
    send_hour = fields.Float(
        default=9.0,
        help="Messages go out at this hour in the customer's timezone (then inside their window).",
    )
    followup_ids = fields.One2many("affinity.followup", "rule_id")
    max_wait_days = fields.Integer(
        string="Wait at Most (days)",
        default=7,
        help="A follow-up held back by the contact budget or a quiet day waits for the next free moment, "
        "but no longer than this many days after it was due; then it is skipped with the reason.",
    )
    followup_count = fields.Integer(compute="_compute_followup_count")

    def init(self):
        # The planner reads these core tables by date; without an index its cost would follow their size.
        for name, table, column, where in PLANNER_INDEXES:
            create_index(self.env.cr, name, table, [column], where=where)

    @api.depends("followup_ids")
    def _compute_followup_count(self):
        counts = dict(
            self.env["affinity.followup"]._read_group([("rule_id", "in", self.ids)], ["rule_id"], ["__count"])
        )
        for rule in self:
            rule.followup_count = counts.get(rule, 0)

    @api.constrains(
        "name",
        "trigger",
        "date_kind_id",
        "action",
        "mail_template_id",
        "sms_template_id",
        "activity_type_id",
        "assignee",
        "user_id",
        "partner_domain",
        "send_hour",
        "offset_days",
        "max_wait_days",
        "repeat_days",
        "lapse_mode",
        "lapse_days",
    )
    def _check_rule(self):
        for rule in self:
            if not (rule.name or "").strip():
                raise ValidationError(
                    self.env._(
                        "“%(field)s” is empty: give the follow-up rule a name that says what it does, "
                        "e.g. “Birthday greeting”.",
                        field=rule._label("name"),
                    )
                )
            if rule.trigger == "important_date" and not rule.date_kind_id:
                raise ValidationError(self.env._("Rule %s: which kind of important date?", rule.name))
            if rule.action == "email" and not rule.mail_template_id:
                raise ValidationError(self.env._("Rule %s: choose the e-mail template to send.", rule.name))
            if rule.action == "sms" and not rule.sms_template_id:
                raise ValidationError(self.env._("Rule %s: choose the SMS template to send.", rule.name))
            if rule.action == "best_channel" and not (rule.mail_template_id or rule.sms_template_id):
                raise ValidationError(
                    self.env._("Rule %s: the best channel needs an e-mail or an SMS template.", rule.name)
                )
            if rule.action == "activity" and not rule.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: “%(field)s” is empty; choose what the person should do (a call, a "
                        "meeting, a to-do…).",
                        rule=rule.name,
                        field=rule._label("activity_type_id"),
                    )
                )
            if rule.assignee == "fixed" and not rule.user_id:
                raise ValidationError(
                    self.env._("Rule %s: choose the user who gets the activity.", rule.name)
                )
            if not 0 <= rule.send_hour < 24:
                raise ValidationError(
                    self.env._("Rule %s: the send hour lies between 00:00 and 24:00.", rule.name)
                )
            rule._check_days(
                "offset_days",
                -OFFSET_LIMIT_DAYS,
                OFFSET_LIMIT_DAYS,
                self.env._("negative: before the event; positive: after it; ten years either way at most"),
            )
            rule._check_days(
                "max_wait_days",
                0,
                MAX_WAIT_LIMIT_DAYS,
                self.env._("0: on the day it is due or not at all; a year at most"),
            )
            rule._check_days(
                "repeat_days", 0, REPEAT_LIMIT_DAYS, self.env._("0: only once; every ten years at most")
            )
            if rule.trigger == "lapsing" and rule.lapse_mode == "fixed":
                rule._check_days(
                    "lapse_days",
                    1,
                    LAPSE_LIMIT_DAYS,
                    self.env._("the days without a purchase after which a customer counts as lapsing"),
                )
            rule._parsed_domain()

    def _label(self, field_name):
        """A field's label as the person reads it on the form, in their language."""
        return self._fields[field_name]._description_string(self.env)

    def _check_days(self, field_name, low, high, meaning):
        self.ensure_one()
        value = self[field_name]
        if not low <= value <= high:
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: “%(field)s” must lie between %(low)s and %(high)s days (%(meaning)s), "
                    "not %(value)s.",
                    rule=self.name,
                    field=self._label(field_name),
                    low=low,
                    high=high,
                    meaning=meaning,
                    value=value,
                )
            )

    def _activity_type(self, channel=None):
        """The activity a person gets: the rule's own type, or for a channel the first type reaching by it."""
        self.ensure_one()
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        own = self.activity_type_id or todo
        if not channel or own.affinity_channel_id == channel:
            return own
        by_channel = self.env["mail.activity.type"].search(
            [("affinity_channel_id", "=", channel.id), ("res_model", "in", (False, "res.partner"))], limit=1
        )
        return by_channel or todo

    def _parsed_domain(self):
        """The partner filter as a domain, or an error a person can act on where it is not one."""
        self.ensure_one()
        field = self._label("partner_domain")
        try:
            domain = ast.literal_eval((self.partner_domain or "").strip() or "[]")
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            domain = None
        if not isinstance(domain, (list, tuple)):
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: “%(field)s” cannot be read as a filter. Build it with the filter editor, "
                    'or write a list of conditions such as [("city", "=", "İzmir")], with every text '
                    "between quotes.",
                    rule=self.name,
                    field=field,
                )
            )
        domain = list(domain)
        Partner = self.env["res.partner"]
        for leaf in domain:
            if leaf in (expression.AND_OPERATOR, expression.OR_OPERATOR, expression.NOT_OPERATOR):
                continue
            if isinstance(leaf, (list, tuple)) and tuple(leaf) in (
                expression.TRUE_LEAF,
                expression.FALSE_LEAF,
            ):
                continue
            if not (isinstance(leaf, (list, tuple)) and len(leaf) == 3 and isinstance(leaf[0], str)):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: “%(field)s” holds %(condition)s, which is not a condition: each "
                        'condition names a field, an operator and a value, such as ("city", "=", '
                        '"İzmir").',
                        rule=self.name,
                        field=field,
                        condition=repr(leaf),
                    )
                )
            path, operator = leaf[0], leaf[1]
            model = Partner
            for name in path.split("."):
                if model is None or name not in model._fields:
                    raise ValidationError(
                        self.env._(
                            "Rule %(rule)s: “%(field)s” names “%(name)s”, which contacts do not have.",
                            rule=self.name,
                            field=field,
                            name=path,
                        )
                    )
                target = model._fields[name]
                model = self.env[target.comodel_name] if target.relational else None
            if operator not in expression.TERM_OPERATORS:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: “%(field)s” compares “%(name)s” with “%(operator)s”; use one of "
                        "%(operators)s.",
                        rule=self.name,
                        field=field,
                        name=path,
                        operator=operator,
                        operators=", ".join(expression.TERM_OPERATORS),
                    )
                )
        try:
            Partner._search(domain)
        except (ValueError, TypeError, KeyError, AssertionError):
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: “%(field)s” cannot be applied to contacts: check that each value suits "
                    "its field (a number, a date, a list…) and that the conditions are joined correctly.",
                    rule=self.name,
                    field=field,
                )
            ) from None
        return domain

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_followups(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.affinity_followup_action")
        action["domain"] = [("rule_id", "in", self.ids)]
        action["context"] = {}
        return action

    def action_plan_now(self):
        """Plan this rule's due follow-ups now instead of waiting for the night."""
        created = self._plan(fields.Date.context_today(self))
        spread = self.env["affinity.followup"].search_count(
            [("rule_id", "in", self.ids), ("state", "=", "planned"), ("reason", "=", "workload")]
        )
        message = self.env._("%s follow-up(s) planned.", len(created))
        if spread:
            message = self.env._(
                "%(planned)s follow-up(s) planned; %(spread)s wait for a later working day (a fair day's work).",
                planned=len(created),
                spread=spread,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # Planning: one statement per rule, insert-or-ignore on the unique key
    # ------------------------------------------------------------------

    def _plan(self, today):
        """Create the follow-ups due from today - grace to today + lookahead; returns the new ids."""
        created = []
        for rule in self:
            created += rule._plan_one(today)
        return self.env["affinity.followup"].browse(created)

    def _plan_one(self, today):
        self.ensure_one()
        # Triggers read tables of other addons too (a bridge's trigger may read any): write everything.
        self.env.flush_all()
        start = today - datetime.timedelta(days=GRACE_DAYS)
        end = today + datetime.timedelta(days=LOOKAHEAD_DAYS)
        candidates = self._candidates_sql(start, end, today)
        partners = (
            self.env["res.partner"]
            .with_context(active_test=True)
            ._search(self._parsed_domain() + [("active", "=", True)])
        )
        partner_filter = partners.subselect()
        insert = SQL(
            """
                WITH candidates AS (%(candidates)s)
                INSERT INTO affinity_followup
                       (rule_id, action, trigger, partner_id, occurrence_date, due_date, company_id, state,
                        res_model, res_id, create_uid, write_uid, create_date, write_date)
                SELECT DISTINCT ON (c.partner_id, c.occurrence)
                       %(rule)s, %(action)s, %(trigger)s, c.partner_id, c.occurrence, c.due, %(company)s, 'planned',
                       c.res_model, c.res_id, %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM candidates c
                  JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.due BETWEEN %(start)s AND %(end)s
                   AND (p.company_id IS NULL OR p.company_id = %(company)s)
                   AND c.partner_id IN (%(partner_filter)s)
                 ORDER BY c.partner_id, c.occurrence, c.res_id
                ON CONFLICT (rule_id, partner_id, occurrence_date) DO NOTHING
                RETURNING id
                """,
            candidates=candidates,
            rule=self.id,
            action=self.action,
            trigger=self.trigger,
            company=self.company_id.id,
            uid=self.env.uid,
            start=start,
            end=end,
            partner_filter=partner_filter,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(insert, log_exceptions=False)
                rows = self.env.cr.fetchall()
        except psycopg2.errors.SerializationFailure:
            # Another planner inserted the same occurrences and committed after this transaction began:
            # they exist, once. Nothing is left for this worker to do on this rule.
            _logger.info("Follow-up rule %s is being planned by another worker", self.id)
            return []
        ids = [row[0] for row in rows]
        if ids:
            self.env.execute_query(self._assign_query(ids))
            followups = self.env["affinity.followup"].browse(ids)
            followups.invalidate_recordset()
            followups._plan_best_moments()
        return ids

    def _assign_query(self, followup_ids):
        """Who is responsible and when, on the customer's own clock, each new follow-up is due: one statement."""
        self.ensure_one()
        hour = self.send_hour if self.action != "activity" else 0.0
        hours, minutes = divmod(round(hour * 60), 60)
        if self.assignee == "fixed":
            chosen = SQL("NULL::int")
        elif self.assignee == "salesperson":
            chosen = SQL("COALESCE(p.user_id, p.affinity_owner_id)")
        else:
            chosen = SQL("COALESCE(p.affinity_owner_id, p.user_id)")
        return SQL(
            """
            UPDATE affinity_followup f
               SET user_id = COALESCE(%(chosen)s, %(rule_user)s, %(fallback)s),
                   due_datetime = (f.due_date + make_interval(mins => %(minutes)s))
                                  AT TIME ZONE COALESCE(tz.name, 'UTC') AT TIME ZONE 'UTC'
              FROM res_partner p
              LEFT JOIN (SELECT name FROM pg_timezone_names) tz ON tz.name = p.tz
             WHERE f.id = ANY(%(ids)s) AND p.id = f.partner_id
            """,
            chosen=chosen,
            rule_user=self.user_id.id or None,
            fallback=self._fallback_user().id,
            minutes=(hours % 24) * 60 + minutes,
            ids=followup_ids,
        )

    def _fallback_user(self):
        """Nobody owns or sells to the customer: whoever configured the rule, unless that was OdooBot."""
        creator = self.create_uid
        if creator and not creator._is_superuser() and creator.active:
            return creator
        return self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user

    def _candidates_sql(self, start, end, today):
        """(partner_id, occurrence, due, res_model, res_id) of this rule's trigger, due in [start, end].

        Each trigger is one method, ``_candidates_<trigger>(event_from, event_to, today)``, given the event
        dates whose due date (event + offset) falls in the window; another addon adds a trigger with a
        ``selection_add`` and one such method. Every statement reads through an index on the date it
        filters, so the cost follows what is due.
        """
        self.ensure_one()
        event_from = start - datetime.timedelta(days=self.offset_days)
        event_to = end - datetime.timedelta(days=self.offset_days)
        return getattr(self, f"_candidates_{self.trigger}")(event_from, event_to, today)

    def _candidates_important_date(self, event_from, event_to, today):
        return SQL(
            """SELECT d.partner_id, d.next_date AS occurrence, d.next_date + %(offset)s AS due,
                      'affinity.date' AS res_model, d.id AS res_id
                 FROM affinity_date d
                WHERE d.kind_id = %(kind)s AND d.next_date BETWEEN %(from)s AND %(to)s""",
            offset=self.offset_days,
            kind=self.date_kind_id.id,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_cadence(self, event_from, event_to, today):
        return SQL(
            """SELECT p.id AS partner_id, p.affinity_next_contact_due AS occurrence,
                      GREATEST(p.affinity_next_contact_due + %(offset)s, %(today)s::date) AS due,
                      'res.partner' AS res_model, p.id AS res_id
                 FROM res_partner p
                WHERE p.affinity_next_contact_due <= %(to)s AND p.affinity_cadence_days > 0""",
            offset=self.offset_days,
            today=today,
            to=event_to,
        )

    def _candidates_sale_confirmed(self, event_from, event_to, today):
        return SQL(
            """SELECT so.partner_id, so.date_order::date AS occurrence, so.date_order::date + %(offset)s AS due,
                      'sale.order' AS res_model, so.id AS res_id
                 FROM sale_order so
                WHERE so.state = 'sale' AND so.date_order >= %(from)s AND so.date_order < %(to)s::date + 1""",
            offset=self.offset_days,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_opportunity_won(self, event_from, event_to, today):
        return self._closed_opportunities_sql(event_from, event_to, SQL("s.is_won AND l.active"))

    def _candidates_opportunity_lost(self, event_from, event_to, today):
        return self._closed_opportunities_sql(event_from, event_to, SQL("NOT l.active AND l.probability = 0"))

    def _closed_opportunities_sql(self, event_from, event_to, outcome):
        return SQL(
            """SELECT l.partner_id, l.date_closed::date AS occurrence, l.date_closed::date + %(offset)s AS due,
                      'crm.lead' AS res_model, l.id AS res_id
                 FROM crm_lead l
                 JOIN crm_stage s ON s.id = l.stage_id
                WHERE l.partner_id IS NOT NULL
                  AND l.date_closed >= %(from)s AND l.date_closed < %(to)s::date + 1
                  AND %(outcome)s""",
            offset=self.offset_days,
            outcome=outcome,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_first_purchase(self, event_from, event_to, today):
        return SQL(
            """SELECT so.partner_id, so.date_order::date AS occurrence, so.date_order::date + %(offset)s AS due,
                      'sale.order' AS res_model, so.id AS res_id
                 FROM sale_order so
                WHERE so.state = 'sale' AND so.date_order >= %(from)s AND so.date_order < %(to)s::date + 1
                  AND NOT EXISTS (
                      SELECT 1 FROM sale_order older
                       WHERE older.partner_id = so.partner_id AND older.state = 'sale'
                         AND older.date_order < so.date_order)""",
            offset=self.offset_days,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_lapsing(self, event_from, event_to, today):
        """Customers whose lapse day (last purchase + their usual interval, or a fixed number of days)
        falls in the window. The lapse day is the occurrence: one lapse episode, one win-back."""
        if self.lapse_mode == "fixed":
            return SQL(
                """SELECT p.id AS partner_id, p.affinity_last_order_date + %(days)s AS occurrence,
                          p.affinity_last_order_date + %(days)s + %(offset)s AS due,
                          'res.partner' AS res_model, p.id AS res_id
                     FROM res_partner p
                    WHERE p.affinity_last_order_date BETWEEN %(from)s::date - %(days)s AND %(to)s::date - %(days)s""",
                days=self.lapse_days,
                offset=self.offset_days,
                **{"from": event_from, "to": event_to},
            )
        return SQL(
            """SELECT p.id AS partner_id, p.affinity_lapse_date AS occurrence,
                      p.affinity_lapse_date + %(offset)s AS due, 'res.partner' AS res_model, p.id AS res_id
                 FROM res_partner p
                WHERE p.affinity_lapse_date BETWEEN %(from)s AND %(to)s""",
            offset=self.offset_days,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_complaint_open(self, event_from, event_to, today):
        return SQL(
            """SELECT c.partner_id, c.next_update_due AS occurrence, c.next_update_due + %(offset)s AS due,
                      'affinity.complaint' AS res_model, c.id AS res_id
                 FROM affinity_complaint c
                WHERE c.state != 'resolved' AND c.next_update_due BETWEEN %(from)s AND %(to)s""",
            offset=self.offset_days,
            **{"from": event_from, "to": event_to},
        )

    def _candidates_partner_domain(self, event_from, event_to, today):
        """Once per partner, or once per period of ``repeat_days``."""
        if self.repeat_days:
            period_start = today - datetime.timedelta(days=today.toordinal() % self.repeat_days)
        else:
            period_start = (self.create_date or fields.Datetime.now()).date()
        return SQL(
            """SELECT p.id AS partner_id, %(occurrence)s::date AS occurrence, %(today)s::date AS due,
                      'res.partner' AS res_model, p.id AS res_id
                 FROM res_partner p
                WHERE NOT EXISTS (SELECT 1 FROM affinity_followup f
                                   WHERE f.rule_id = %(rule)s AND f.partner_id = p.id
                                     AND f.occurrence_date = %(occurrence)s)""",
            occurrence=period_start,
            today=today,
            rule=self.id,
        )

    @api.model
    def _cron_plan(self):
        """Daily: plan what every active rule makes due. Thin: the rules do the work."""
        today = fields.Date.context_today(self)
        process_in_batches(
            self.search([("active", "=", True)]), lambda rules: rules._plan(today), batch_size=1
        )
