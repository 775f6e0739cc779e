import calendar
import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.batching import process_in_batches


def occurrence_in_year(year, month, day):
    """Date of a yearly occasion in a given year; 29 February falls on 28 February in other years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return datetime.date(year, month, day)


def next_occurrence(day, month, year, recurring, today):
    """First occurrence on or after today, or False when a one-off date has passed."""
    if not (day and month):
        return False
    if not recurring:
        if not year:
            return False
        once = occurrence_in_year(year, month, day)
        return once if once >= today else False
    start_year = today.year
    if year and year > today.year:
        start_year = year
    for candidate_year in (start_year, start_year + 1):
        candidate = occurrence_in_year(candidate_year, month, day)
        if candidate >= today:
            return candidate
    return False


class AffinityDate(models.Model):
    _name = "affinity.date"
    _description = "Affinity Important Date"
    _order = "next_date, id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    kind_id = fields.Many2one("affinity.date.kind", required=True, ondelete="restrict", index=True)
    name = fields.Char(help="Free label, e.g. 'Daughter Elif's birthday'.")
    day = fields.Integer(required=True)
    month = fields.Selection([(str(m), calendar.month_name[m]) for m in range(1, 13)], required=True)
    year = fields.Integer(help="Optional; for birthdays it tells the age.")
    recurring = fields.Boolean(string="Every Year", default=True)
    lead_days = fields.Integer(
        string="Remind Days Before", compute="_compute_lead_days", store=True, readonly=False
    )
    next_date = fields.Date(string="Next Occurrence", compute="_compute_next_date", store=True, index=True)

    @api.depends("kind_id")
    def _compute_lead_days(self):
        for record in self:
            if not record.lead_days:
                record.lead_days = record.kind_id.default_lead_days

    @api.depends("day", "month", "year", "recurring")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        for record in self:
            record.next_date = next_occurrence(
                record.day, int(record.month or 0), record.year, record.recurring, today
            )

    @api.depends("name", "kind_id", "partner_id")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.partner_id.name} – {record.name or record.kind_id.name}"

    @api.constrains("lead_days")
    def _check_lead_days(self):
        for record in self:
            if record.lead_days < 0:
                raise ValidationError(self.env._("Reminder lead days cannot be negative."))

    @api.constrains("day", "month", "year", "kind_id", "recurring")
    def _check_date(self):
        today = fields.Date.context_today(self)
        for record in self:
            month = int(record.month or 0)
            try:
                # A leap year admits 29 February; every other impossible day fails here.
                datetime.date(record.year or 2000, month, record.day)
            except ValueError:
                if record.year and month == 2 and record.day == 29:
                    raise ValidationError(
                        self.env._("%(year)s is not a leap year: it has no 29 February.", year=record.year)
                    ) from None
                raise ValidationError(
                    self.env._(
                        "%(day)s/%(month)s is not a day of the calendar.",
                        day=record.day,
                        month=month,
                    )
                ) from None
            if record.year and (record.year < 1900 or record.year > 2200):
                raise ValidationError(self.env._("The year %s is out of range.", record.year))
            if (
                record.kind_id.year_in_past
                and record.year
                and datetime.date(record.year, month, record.day) > today
            ):
                raise ValidationError(
                    self.env._(
                        "A %(kind)s cannot lie in the future (%(year)s).",
                        kind=record.kind_id.name,
                        year=record.year,
                    )
                )
            if not record.recurring and not record.year:
                raise ValidationError(self.env._("A date that does not recur every year needs a year."))

    @api.model
    def _cron_roll_next_dates(self, batch_size=5000):
        """Move passed occurrences to next year; the cost follows the dates that just passed."""
        today = fields.Date.context_today(self)
        dates = self.search([("next_date", "<", today)])
        dates._roll_next_dates(batch_size=batch_size)

    def _roll_next_dates(self, batch_size=5000):
        return process_in_batches(self, lambda batch: batch._compute_next_date(), batch_size)
