"""Pilot, then rollout: a journey first runs on a random share of those who enter it, beside a held-out
control group that enters without steps; the two are compared, then the journey is rolled out to the rest."""

import hashlib

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)
# Records entered per create: automation_oca enters them one at a time, each joined to a growing recordset.
ENTER_BATCH = 1000

# The figures compared, in the order shown: (key, label, kind) where kind says how a figure reads.
KPIS = [
    ("entered", _lt("Entered"), "count"),
    ("reached", _lt("Reached"), "share"),
    ("opened", _lt("Opened"), "share"),
    ("replied", _lt("Replied"), "share"),
    ("bought", _lt("Bought"), "share"),
    ("revenue", _lt("Revenue per person"), "money"),
    ("unsubscribed", _lt("Unsubscribed"), "share"),
]


def pilot_bucket(configuration_id, record_id):
    """A record's place in [0, 100) for one journey: the same every time, independent between journeys."""
    digest = hashlib.sha256(f"{configuration_id}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000 / 100


class AutomationConfiguration(models.Model):
    _inherit = "automation.configuration"

    affinity_pilot = fields.Boolean(
        string="Start as a Pilot",
        help="The journey first runs on a random share of the records that would enter it, beside a control "
        "group that enters without steps. The rest enter when it is rolled out.",
    )
    affinity_pilot_share = fields.Float(string="Pilot Share (%)", default=10.0)
    affinity_control_share = fields.Float(
        string="Control Share (%)",
        default=10.0,
        help="Records drawn into the control group enter the journey but get no step: what would have "
        "happened without it.",
    )
    affinity_rolled_out = fields.Boolean(string="Rolled Out", readonly=True, copy=False)
    affinity_kpi_html = fields.Html(
        string="Pilot and Control",
        compute="_compute_affinity_kpi_html",
        sanitize=False,
        groups="automation_oca.group_automation_user",
    )

    @api.constrains("affinity_pilot_share", "affinity_control_share")
    def _check_affinity_shares(self):
        for journey in self:
            for field in ("affinity_pilot_share", "affinity_control_share"):
                if not 0 <= journey[field] <= 100:
                    raise ValidationError(
                        self.env._(
                            "%(field)s must be between 0 and 100.",
                            field=self._fields[field].get_description(self.env)["string"],
                        )
                    )
            if journey.affinity_pilot_share + journey.affinity_control_share > 100:
                raise ValidationError(
                    self.env._("Pilot Share (%) and Control Share (%) together cannot exceed 100.")
                )

    # -- who enters, and in which group ---------------------------------------------------------------------

    def _affinity_in_pilot(self):
        return self.affinity_pilot and not self.affinity_rolled_out

    def _affinity_group_of(self, record_id):
        """Pilot, control, or None (waits for the rollout) while piloting; rollout after it."""
        if not self.affinity_pilot:
            return False
        if self.affinity_rolled_out:
            return "rollout"
        bucket = pilot_bucket(self.id, record_id)
        if bucket < self.affinity_pilot_share:
            return "pilot"
        if bucket < self.affinity_pilot_share + self.affinity_control_share:
            return "control"
        return None

    def _get_automation_records_to_create(self):
        # automation_oca reads the candidates in raw SQL: what this transaction changed must be written first.
        self.env.flush_all()
        records = super()._get_automation_records_to_create()
        if self._affinity_in_pilot():
            # Set-based and without a query: the draw is a hash of the ids.
            records = records.browse([rid for rid in records.ids if self._affinity_group_of(rid) is not None])
        return records

    def run_automation(self):
        """Enter the candidates in batches, one create each, instead of one create and one recordset union
        per record: the same records and steps (``_create_record_vals``), planned in linear time."""
        self.ensure_one()
        if self.state not in ("periodic", "ondemand"):
            return
        candidates = self._get_automation_records_to_create()
        Record = self.env["automation.record"]
        entered = [
            Record.create(
                [self._create_record_vals(record) for record in candidates[start : start + ENTER_BATCH]]
            )
            for start in range(0, len(candidates), ENTER_BATCH)
        ]
        Record.concat(*entered).automation_step_ids._trigger_activities()

    def _create_record_vals(self, record, **kwargs):
        vals = super()._create_record_vals(record, **kwargs)
        if self.affinity_pilot and not kwargs.get("is_test"):
            group = self._affinity_group_of(record.id)
            vals["affinity_group"] = group
            if group == "control":
                vals["automation_step_ids"] = []
        return vals

    def action_affinity_rollout(self):
        """Roll the piloted journey out to everyone not yet in it, in one click."""
        self.ensure_one()
        if not self.affinity_pilot or self.affinity_rolled_out:
            raise UserError(self.env._("Only a journey running as a pilot can be rolled out."))
        self.affinity_rolled_out = True
        if self.state in ("periodic", "ondemand"):
            # The write above checked the person's right; the records enter as the cron enters them.
            self.sudo().run_automation()
        return True

    # -- the comparison -------------------------------------------------------------------------------------

    def _affinity_kpis(self):
        """{group: {kpi: value}} for this journey, in one statement: reached, opened, replied, bought
        (confirmed sale orders after entering), revenue per person and unsubscribes (a marketing or any
        consent turned denied after entering), per pilot group."""
        self.ensure_one()
        for model in ("automation.record", "automation.record.step", "sale.order", "affinity.consent.log"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH r AS (
                    SELECT r.id, r.affinity_group AS grp, r.affinity_partner_id AS partner_id,
                           r.create_date AS entered
                      FROM automation_record r
                     WHERE r.configuration_id = %(journey)s AND r.affinity_group IS NOT NULL
                       AND NOT COALESCE(r.is_test, FALSE)
                ), steps AS (
                    SELECT s.record_id,
                           bool_or(s.state = 'done' AND s.affinity_partner_id IS NOT NULL) AS reached,
                           bool_or(s.mail_status IN ('open', 'reply')) AS opened,
                           bool_or(s.mail_status = 'reply') AS replied
                      FROM automation_record_step s JOIN r ON r.id = s.record_id
                     GROUP BY s.record_id
                ), sales AS (
                    SELECT r.id, sum(o.amount_untaxed) AS revenue
                      FROM r JOIN sale_order o ON o.partner_id = r.partner_id
                     WHERE o.state = 'sale' AND o.date_order >= date_trunc('second', r.entered)
                     GROUP BY r.id
                )
                SELECT r.grp, count(*),
                       count(*) FILTER (WHERE st.reached), count(*) FILTER (WHERE st.opened),
                       count(*) FILTER (WHERE st.replied), count(sa.id), COALESCE(sum(sa.revenue), 0),
                       count(*) FILTER (WHERE EXISTS (
                           SELECT 1 FROM affinity_consent_log l
                            WHERE l.partner_id = r.partner_id AND l.new_state = 'denied'
                              AND l.create_date >= r.entered))
                  FROM r LEFT JOIN steps st ON st.record_id = r.id LEFT JOIN sales sa ON sa.id = r.id
                 GROUP BY r.grp
                """,
                journey=self.id,
            )
        )
        result = {}
        for grp, entered, reached, opened, replied, bought, revenue, unsubscribed in rows:
            result[grp] = {
                "entered": entered,
                "reached": reached,
                "opened": opened,
                "replied": replied,
                "bought": bought,
                "revenue": float(revenue) / entered if entered else 0.0,
                "unsubscribed": unsubscribed,
            }
        return result

    @api.depends("affinity_pilot", "affinity_rolled_out")
    def _compute_affinity_kpi_html(self):
        labels = {key: self.env._(label) for key, label, _kind in KPIS}
        groups = dict(
            self.env["automation.record"]._fields["affinity_group"]._description_selection(self.env)
        )
        for journey in self:
            if not journey.id or not journey.affinity_pilot:
                journey.affinity_kpi_html = False
                continue
            kpis = journey.sudo()._affinity_kpis()
            shown = [grp for grp in ("pilot", "control", "rollout") if grp in kpis or grp != "rollout"]
            currency = journey.company_id.currency_id or self.env.company.currency_id
            head = Markup("").join(Markup("<th class='text-end'>%s</th>") % groups[grp] for grp in shown)
            body = Markup("")
            for key, _label, kind in KPIS:
                cells = Markup("")
                for grp in shown:
                    figures = kpis.get(grp, {})
                    value, entered = figures.get(key, 0), figures.get("entered", 0)
                    if kind == "count":
                        text = str(value)
                    elif kind == "money":
                        text = f"{value:.2f} {currency.symbol or ''}".strip()
                    else:
                        text = f"{value} ({100 * value / entered:.1f} %)" if entered else "0"
                    cells += Markup(
                        "<td class='text-end' data-kpi='%s' data-group='%s' data-value='%s'>%s</td>"
                    ) % (key, grp, value, text)
                body += Markup("<tr><th>%s</th>%s</tr>") % (labels[key], cells)
            journey.affinity_kpi_html = Markup(
                "<table class='table table-sm o_affinity_journey_kpis'><thead><tr><th></th>%s</tr></thead>"
                "<tbody>%s</tbody></table>"
            ) % (head, body)
