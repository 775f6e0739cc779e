from odoo import models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# The dashboard's pivots as the JSON names them. The spreadsheet shows a pivot's name in its table's corner,
# "(#1) Segment", and Odoo translates a dashboard's cells, chart titles and filters but not its pivots' names:
# they are translated here, in the reader's language, when the dashboard is read. Listed so that Odoo's
# extraction finds them.
PIVOT_NAMES = (
    _lt("RFM segment"),
    _lt("Channel"),
    _lt("Month"),
    _lt("State"),
    _lt("Reason"),
    _lt("Source"),
    _lt("Flag"),
)


class SpreadsheetDashboard(models.Model):
    _inherit = "spreadsheet.dashboard"

    def get_readonly_dashboard(self):
        data = super().get_readonly_dashboard()
        ours = self.env.ref(
            "spreadsheet_dashboard_crm_affinity.spreadsheet_dashboard_affinity", raise_if_not_found=False
        )
        if self == ours and not data.get("is_sample"):
            by_source = {name._source: self.env._(name) for name in PIVOT_NAMES}
            for pivot in data["snapshot"].get("pivots", {}).values():
                pivot["name"] = by_source.get(pivot.get("name"), pivot.get("name"))
        return data
