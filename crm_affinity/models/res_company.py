from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.dates import calendar_days_off, turkish_today


class ResCompany(models.Model):
    _inherit = "res.company"

    affinity_consent_mode = fields.Selection(
        [("opt_out", "Opt-out: not asked means allowed"), ("opt_in", "Opt-in: not asked means not allowed")],
        string="Consent Mode",
        default="opt_out",
        required=True,
        help="Opt-in is what KVKK/IYS and GDPR demand for marketing messages. A Turkish company starts in "
        "opt-in mode (with the salesperson scope on); others start in opt-out mode.",
    )
    affinity_relationship_commercial = fields.Boolean(
        string="Greetings Need Marketing Consent",
        compute="_compute_affinity_relationship_commercial",
        store=True,
        readonly=False,
        help="IYS counts holiday and special-day greetings as commercial messages.",
    )
    affinity_double_optin = fields.Boolean(
        string="Double Opt-in",
        compute="_compute_affinity_double_optin",
        store=True,
        readonly=False,
        help="An e-mail, SMS or WhatsApp marketing grant from the preference centre, the portal or the API waits "
        "for the person to open the confirmation link sent to that address or number; until then it is no "
        "permission. A grant from a public form always waits. On by default in opt-in mode.",
    )
    affinity_optin_days = fields.Integer(
        string="Confirmation Lapses After (days)",
        default=7,
        help="An unconfirmed e-mail grant goes back to what it was after this many days.",
    )
    affinity_preference_link_days = fields.Integer(
        string="Preference Links Valid (days)",
        default=90,
        help="How long the personal preference link in a message opens the preference centre.",
    )
    affinity_tasks_per_day = fields.Integer(
        string="Follow-up Tasks per Person and Day",
        default=15,
        help="No one is handed more follow-up activities a day; the rest wait for their next working day, "
        "most valuable and most overdue customers first (0: no cap).",
    )
    affinity_pressure_day = fields.Integer(
        string="Contact Budget per 24 Hours",
        help="At most this many commercial messages per person in any 24 hours, over every channel (0: no cap).",
    )
    affinity_pressure_week = fields.Integer(string="Contact Budget per 7 Days", help="0: no cap.")
    affinity_pressure_cap_ids = fields.One2many(
        "affinity.pressure.cap", "company_id", string="Caps per Channel"
    )
    affinity_pressure_month = fields.Integer(string="Contact Budget per 30 Days", help="0: no cap.")
    affinity_lapse_factor = fields.Float(
        string="Lapse Factor",
        default=1.5,
        help="A customer lapses after this many times their usual purchase interval without buying.",
    )
    affinity_lapse_min_days = fields.Integer(
        string="Lapse Minimum (days)", default=60, help="Never call a customer lapsing before this many days."
    )
    # --- customer value and review flags ---
    affinity_value_months = fields.Integer(
        string="Value Window (months)",
        default=12,
        help="Revenue, margin, cost to serve, late payments and discounts are counted over this window.",
    )
    affinity_ltv_years = fields.Float(
        string="Expected Lifetime (years)", default=3.0, help="How many years a customer typically stays."
    )
    affinity_complaint_cost = fields.Float(
        string="Cost per Complaint", help="What handling one complaint costs, in company currency."
    )
    affinity_complaint_threshold = fields.Integer(string="Serial Complainer: Complaints", default=3)
    affinity_complaint_months = fields.Integer(string="Serial Complainer: Within (months)", default=6)
    affinity_late_share = fields.Float(string="Late Payer: Share Paid Late (%)", default=30.0)
    affinity_late_days = fields.Float(string="Late Payer: Average Days Late", default=10.0)
    affinity_late_min_invoices = fields.Integer(string="Late Payer: Minimum Invoices", default=3)
    affinity_deal_share = fields.Float(string="Deal Seeker: Revenue at Discount (%)", default=60.0)
    affinity_deal_min_orders = fields.Integer(string="Deal Seeker: Minimum Orders", default=3)
    affinity_vip_percent = fields.Float(string="VIP: Top Share of Customers (%)", default=5.0)
    affinity_value_computed_at = fields.Datetime(string="Customer Value Computed At", readonly=True)
    affinity_reach_half_life = fields.Integer(
        string="Reachability Half-life (days)",
        default=90,
        help="How fast old answers fade when learning when and how each person likes to be reached: an "
        "answer this many days old counts half.",
    )
    affinity_window_ids = fields.One2many(
        "affinity.contact.window",
        "company_id",
        string="Default Contact Windows",
        domain=[("partner_id", "=", False)],
    )

    @api.depends("country_id")
    def _compute_affinity_relationship_commercial(self):
        for company in self:
            company.affinity_relationship_commercial = company.country_id.code == "TR"

    @api.depends("affinity_consent_mode")
    def _compute_affinity_double_optin(self):
        for company in self:
            company.affinity_double_optin = company.affinity_consent_mode == "opt_in"

    @api.constrains("affinity_optin_days", "affinity_preference_link_days")
    def _check_affinity_preference_settings(self):
        for company in self:
            if company.affinity_optin_days < 1 or company.affinity_preference_link_days < 1:
                raise ValidationError(
                    self.env._("Confirmation and preference links stay valid for at least one day.")
                )

    @api.constrains(
        "affinity_value_months",
        "affinity_ltv_years",
        "affinity_complaint_cost",
        "affinity_complaint_threshold",
        "affinity_complaint_months",
        "affinity_late_share",
        "affinity_late_days",
        "affinity_late_min_invoices",
        "affinity_deal_share",
        "affinity_deal_min_orders",
        "affinity_vip_percent",
    )
    def _check_affinity_value_settings(self):
        for company in self:
            if company.affinity_value_months < 1 or company.affinity_complaint_months < 1:
                raise ValidationError(self.env._("Value and complaint windows last at least one month."))
            numbers = (
                company.affinity_ltv_years,
                company.affinity_complaint_cost,
                company.affinity_complaint_threshold,
                company.affinity_late_days,
                company.affinity_late_min_invoices,
                company.affinity_deal_min_orders,
            )
            if any(number < 0 for number in numbers):
                raise ValidationError(self.env._("Customer value settings cannot be negative."))
            shares = (company.affinity_late_share, company.affinity_deal_share, company.affinity_vip_percent)
            if any(share < 0 or share > 100 for share in shares):
                raise ValidationError(self.env._("Shares are percentages between 0 and 100."))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        implicit = [
            c.id for c, vals in zip(companies, vals_list, strict=True) if "affinity_consent_mode" not in vals
        ]
        companies.browse(implicit)._affinity_turkish_defaults()
        return companies

    def write(self, vals):
        before = {company.id: company.country_id.code for company in self} if "country_id" in vals else {}
        changed_half_life = "affinity_reach_half_life" in vals and any(
            company.affinity_reach_half_life != vals["affinity_reach_half_life"] for company in self
        )
        result = super().write(vals)
        if changed_half_life:
            # The stored weights were folded with the old half-life: the next run learns from nothing.
            self.env["affinity.reachability"].sudo()._forget()
        if before and "affinity_consent_mode" not in vals:
            self.filtered(lambda c: before[c.id] != "TR")._affinity_turkish_defaults()
        return result

    def _affinity_turkish_defaults(self):
        """A company that is or becomes Turkish starts in opt-in mode, with the salesperson scope on.

        Only ever switches towards the safer setting, and only then: an administrator's later choice stands.
        """
        turkish = self.filtered(lambda company: company.country_id.code == "TR")
        if not turkish:
            return
        turkish.filtered(lambda c: c.affinity_consent_mode != "opt_in").affinity_consent_mode = "opt_in"
        scope = self.env.ref("crm_affinity.group_affinity_own_only", raise_if_not_found=False)
        if scope:
            self.env.ref("base.group_user").sudo()._apply_group(scope)

    def _affinity_default_windows(self, channel):
        """Company-wide windows for a channel: (weekday, from, to) tuples, channel rows first."""
        self.ensure_one()
        windows = self.sudo().affinity_window_ids
        chosen = windows.filtered(lambda w: w.channel_id == channel) or windows.filtered(
            lambda w: not w.channel_id
        )
        return [(int(w.weekday), w.hour_from, w.hour_to) for w in chosen]

    @api.constrains("affinity_reach_half_life")
    def _check_affinity_reach_half_life(self):
        for company in self:
            if not 7 <= company.affinity_reach_half_life <= 3650:
                raise ValidationError(
                    self.env._("The reachability half-life is a number of days between 7 and 3650.")
                )

    @api.constrains("affinity_pressure_day", "affinity_pressure_week", "affinity_pressure_month")
    def _check_affinity_pressure(self):
        for company in self:
            if (
                min(
                    company.affinity_pressure_day,
                    company.affinity_pressure_week,
                    company.affinity_pressure_month,
                )
                < 0
            ):
                raise ValidationError(self.env._("A contact budget is a number of messages: 0 or more."))

    def _affinity_iys_account(self):
        """This company's IYS account if it is switched on: until then IYS's approval is not required."""
        self.ensure_one()
        return (
            self.env["affinity.iys.account"]
            .sudo()
            .search([("company_id", "=", self.id), ("state", "=", "on")], limit=1)
        )

    def _affinity_public_holidays(self):
        """The company's days off (``day in days_off``): for a Turkish company Turkey's public holidays of
        any year, as the holidays library knows them (religious ones included, eves left as half days),
        and the days of its working calendar's global time off, where a company adds days of its own."""
        self.ensure_one()
        calendar = self.sudo().resource_calendar_id
        return self._affinity_days_off_batch([(self, calendar, None)])[(self, calendar, None)]

    def _affinity_working_days_of(self, users):
        """``{user id: DaysOff}``: each user's days in this company, from the working calendar of their
        resource (an employee's) in the company, else the company's calendar, with public holidays and
        their own time off."""
        self.ensure_one()
        company = self.sudo()
        resources = (
            self.env["resource.resource"]
            .sudo()
            .search([("user_id", "in", users.ids), ("company_id", "in", [self.id, False])])
        )
        # A resource of this very company before one for every company.
        mine = {}
        for resource in resources.sorted(lambda r: not r.company_id):
            mine.setdefault(resource.user_id.id, resource)
        keys = {}
        for user in users:
            resource = mine.get(user.id)
            calendar = (resource and resource.calendar_id) or company.resource_calendar_id
            keys[user.id] = (company, calendar, resource or None)
        days_off = self._affinity_days_off_batch(keys.values())
        return {user_id: days_off[key] for user_id, key in keys.items()}

    @api.model
    def _affinity_days_off_batch(self, keys):
        """``{(company, calendar, resource): DaysOff}`` for each key, in one read of the time off.

        The days off of a working calendar: the company's country's public holidays (automatic), the
        calendar's global time off and the company's time off for all calendars, and the resource's own
        time off; a day counts when the time off covers its working hours, in the calendar's (or the
        resource's) time zone. A half day off, such as the afternoon before a Bayram, stays a working day.
        The working weekdays are the calendar's (Monday to Friday without a calendar)."""
        keys = list(dict.fromkeys(keys))
        calendars = self.env["resource.calendar"].sudo().union(*(key[1] for key in keys if key[1]))
        resources = self.env["resource.resource"].sudo().union(*(key[2] for key in keys if key[2]))
        companies = self.sudo().union(*(key[0] for key in keys))
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("time_type", "=", "leave"),
                    "|",
                    "&",
                    ("resource_id", "=", False),
                    "|",
                    ("calendar_id", "in", calendars.ids),
                    "&",
                    ("calendar_id", "=", False),
                    ("company_id", "in", companies.ids),
                    ("resource_id", "in", resources.ids),
                ]
            )
        )
        result = {}
        for company, calendar, resource in keys:
            attendances = [
                (int(a.dayofweek), a.hour_from, a.hour_to)
                for a in calendar.attendance_ids
                if not a.display_type and a.day_period != "lunch"
            ]
            spans = [
                (leave.date_from, leave.date_to)
                for leave in leaves
                if (leave.resource_id == resource if leave.resource_id else leave.calendar_id == calendar)
                or (not leave.resource_id and not leave.calendar_id and leave.company_id == company)
            ]
            tz = (resource and resource.tz) or calendar.tz or "UTC"
            result[company, calendar, resource] = calendar_days_off(
                spans, tz, attendances, company.country_id.code
            )
        return result

    def _affinity_iys_overdue_domain(self):
        return [
            ("company_id", "in", [self.id, False]),
            # The deadline is a day in Turkey: it has passed once Turkey's day has moved past it.
            ("iys_deadline", "<", turkish_today()),
            ("iys_in_sync", "=", False),
        ]
