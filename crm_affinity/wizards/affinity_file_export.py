import json

from odoo import fields, models
from odoo.tools import html2plaintext

from ..tools.xlsx import XLSX_MIMETYPE, Workbook, download_action


class AffinityFileExport(models.TransientModel):
    """Right of access: everything the affinity file holds about one person, in a portable file."""

    _name = "affinity.file.export"
    _description = "Export an Affinity File"

    partner_id = fields.Many2one("res.partner", required=True)
    file_format = fields.Selection(
        [("json", "JSON"), ("xlsx", "Excel (XLSX)")], default="json", required=True
    )

    def action_export(self):
        self.ensure_one()
        data = self.partner_id._affinity_file_data()
        name = f"affinity_file_{self.partner_id.id}"
        if self.file_format == "json":
            content = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
            filename, mimetype = f"{name}.json", "application/json"
        else:
            content = self._xlsx(data)
            filename = f"{name}.xlsx"
            mimetype = XLSX_MIMETYPE
        return download_action(self, content, filename, mimetype)

    def _xlsx(self, data):
        book = Workbook()
        book.table(
            self.env._("Person"),
            [self.env._("Field"), self.env._("Value")],
            [
                (key, html2plaintext(value) if isinstance(value, str) and "<" in value else value)
                for key, value in data["person"].items()
            ],
        )
        for section in ("preferences", "gifts", "important_dates", "consents", "consent_history"):
            rows = data[section]
            headers = list(rows[0]) if rows else [self.env._("(none)")]
            book.table(
                section.replace("_", " ").title(),
                headers,
                [[str(v) if isinstance(v, (list, dict)) else v for v in row.values()] for row in rows],
            )
        return book.close()
