import base64
import csv
import io

import openpyxl

from odoo import fields, models
from odoo.exceptions import UserError


class AffinityFileImportMixin(models.AbstractModel):
    """Reads an uploaded CSV or XLSX file into numbered rows, checking its header."""

    _name = "affinity.file.import.mixin"
    _description = "Affinity File Import"

    file = fields.Binary(required=True)
    filename = fields.Char()

    def _required_columns(self):
        """Column names (lower case) the header must hold."""
        raise NotImplementedError

    def _read_rows(self):
        """Rows of the file as dicts with lower-case keys, with their 1-based line numbers."""
        if not self.file:
            raise UserError(self.env._("Choose a file to import."))
        content = base64.b64decode(self.file)
        name = (self.filename or "").lower()
        if name.endswith(".xlsx") or content[:2] == b"PK":
            return self._read_xlsx(content)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError(self.env._("The file is neither an XLSX workbook nor UTF-8 text.")) from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        rows = list(reader)
        return self._rows_as_dicts(rows)

    def _read_xlsx(self, content):
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:
            raise UserError(self.env._("The workbook cannot be read: %s", error)) from None
        sheet = book.worksheets[0]
        rows = [[("" if cell is None else cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        return self._rows_as_dicts(rows)

    def _rows_as_dicts(self, rows):
        if not rows:
            return []
        header = [str(title).strip().lower() for title in rows[0]]
        required = self._required_columns()
        missing = [column for column in required if column not in header]
        if missing:
            raise UserError(self.env._("The header lacks the column(s): %s", ", ".join(missing)))
        result = []
        for index, row in enumerate(rows[1:], start=2):
            if not any(str(cell).strip() for cell in row):
                continue
            result.append((index, {header[i]: row[i] for i in range(min(len(header), len(row)))}))
        return result
