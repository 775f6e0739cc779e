import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError

SPEND_COLUMNS = ("date_from", "date_to", "amount")


class AffinitySpendImport(models.TransientModel):
    """Marketing spend from a CSV/XLSX file: every bad row is named, and a bad file writes nothing."""

    _name = "affinity.spend.import"
    _inherit = "affinity.file.import.mixin"
    _description = "Import Marketing Spend"

    imported_count = fields.Integer(readonly=True)
    error_report = fields.Text(readonly=True)

    def _required_columns(self):
        return SPEND_COLUMNS

    def action_import(self):
        self.ensure_one()
        values, errors = self._parse()
        if errors:
            self.error_report = "\n".join(errors)
            raise UserError(
                self.env._(
                    "Nothing was imported: %(count)s row(s) are wrong.\n%(rows)s",
                    count=len(errors),
                    rows="\n".join(errors[:50]),
                )
            )
        if not values:
            raise UserError(self.env._("The file holds no spend rows."))
        self.env["affinity.marketing.spend"].create(values)
        self.imported_count = len(values)
        return {
            "type": "ir.actions.act_window",
            "res_model": "affinity.marketing.spend",
            "view_mode": "list",
            "name": self.env._("Imported spend"),
        }

    def _parse(self):
        rows = self._read_rows()
        names = {
            model: {record.name.lower(): record.id for record in self.env[model].search([])}
            for model in ("utm.source", "utm.medium", "utm.campaign")
        }
        currencies = {
            c.name.upper(): c.id for c in self.env["res.currency"].with_context(active_test=False).search([])
        }
        values, errors = [], []
        for line_no, row in rows:
            problems, row = self._cell_errors(row)
            if problems:
                errors.append(
                    self.env._("Line %(line)s: %(errors)s", line=line_no, errors="; ".join(problems))
                )
                continue
            vals = {"company_id": self.env.company.id, "currency_id": self.env.company.currency_id.id}
            for column in ("date_from", "date_to"):
                try:
                    vals[column] = self._date(row.get(column))
                except ValueError:
                    problems.append(
                        self.env._(
                            "'%(value)s' is not a date (%(column)s)", value=row.get(column), column=column
                        )
                    )
            try:
                vals["amount"] = float(str(row.get("amount") or "").replace(",", "."))
                if vals["amount"] < 0:
                    problems.append(self.env._("a spend cannot be negative"))
            except ValueError:
                problems.append(self.env._("'%s' is not an amount", row.get("amount")))
            for column, model, field in (
                ("source", "utm.source", "source_id"),
                ("medium", "utm.medium", "medium_id"),
                ("campaign", "utm.campaign", "campaign_id"),
            ):
                name = str(row.get(column) or "").strip()
                if name:
                    if name.lower() not in names[model]:
                        problems.append(self.env._("unknown %(column)s '%(name)s'", column=column, name=name))
                    vals[field] = names[model].get(name.lower())
            if (
                not any(vals.get(field) for field in ("source_id", "medium_id", "campaign_id"))
                and not problems
            ):
                problems.append(self.env._("a spend needs a source, a medium or a campaign"))
            code = str(row.get("currency") or "").strip().upper()
            if code:
                if code not in currencies:
                    problems.append(self.env._("unknown currency '%s'", code))
                vals["currency_id"] = currencies.get(code)
            if vals.get("date_from") and vals.get("date_to") and vals["date_from"] > vals["date_to"]:
                problems.append(self.env._("the period ends before it starts"))
            vals["name"] = str(row.get("description") or row.get("name") or "").strip() or False
            if problems:
                errors.append(
                    self.env._("Line %(line)s: %(errors)s", line=line_no, errors="; ".join(problems))
                )
            else:
                values.append(vals)
        return values, errors

    @api.model
    def _date(self, value):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value or "").strip()
        for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(text)
