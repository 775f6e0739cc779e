"""Small helpers shared by every workbook this addon writes."""

import base64
import io

import xlsxwriter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is written as text (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Workbook:
    """An in-memory xlsxwriter workbook whose text cells are never formulas."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        self.header = self.book.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.percent = self.book.add_format({"num_format": "0.0%"})

    def table(self, name, headers, rows, formats=None):
        """A sheet with a frozen, filtered header row and sensible widths."""
        sheet = self.book.add_worksheet(name[:31])
        formats = formats or {}
        for col, title in enumerate(headers):
            sheet.write_string(0, col, title, self.header)
            sheet.set_column(col, col, max(12, len(title) + 2), formats.get(col))
        for row_index, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                self.cell(sheet, row_index, col, value, formats.get(col))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), max(len(headers) - 1, 0))
        return sheet

    def cell(self, sheet, row, col, value, cell_format=None):
        if value is None or value is False:
            sheet.write_blank(row, col, None, cell_format)
        elif isinstance(value, str):
            sheet.write_string(row, col, value, cell_format)
        elif hasattr(value, "hour"):
            sheet.write_datetime(row, col, value, cell_format or self.datetime)
        elif hasattr(value, "year"):
            sheet.write_datetime(row, col, value, cell_format or self.date)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, cell_format)
        else:
            sheet.write_number(row, col, value, cell_format)

    def close(self):
        self.book.close()
        return self.buffer.getvalue()


def download_action(wizard, content, filename, mimetype):
    """Store a generated file on the wizard and hand it to the browser."""
    attachment = wizard.env["ir.attachment"].create(
        {
            "name": filename,
            "datas": base64.b64encode(content),
            "mimetype": mimetype,
            "res_model": wizard._name,
            "res_id": wizard.id,
        }
    )
    return {
        "type": "ir.actions.act_url",
        "url": f"/web/content/{attachment.id}?download=true",
        "target": "self",
    }
