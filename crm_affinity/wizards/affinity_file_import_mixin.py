import base64
import codecs
import csv
import io

import openpyxl

from odoo import fields, models
from odoo.exceptions import UserError

# Encodings a spreadsheet saved in Turkey arrives in, tried in this order. Windows-1254 is ISO-8859-9 plus
# printable characters in 0x80-0x9F, so a file only ISO-8859-9 decodes holds control characters there.
TEXT_ENCODINGS = ("utf-8", "cp1254", "iso-8859-9")


class FormulaCell(str):
    """A workbook cell holding a formula: refused, never evaluated or guessed."""


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
        text = self._decode_text(content)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        rows = list(reader)
        return self._rows_as_dicts(rows)

    def _decode_text(self, content):
        """UTF-8 (with or without BOM), UTF-16 with its BOM, Windows-1254 or ISO-8859-9."""
        encodings = TEXT_ENCODINGS
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encodings = ("utf-16",) + encodings
        content = content.removeprefix(codecs.BOM_UTF8)
        for encoding in encodings:
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text
        raise UserError(
            self.env._(
                "The file is neither an XLSX workbook nor text in UTF-8, Windows-1254 or ISO-8859-9: "
                "save it again as CSV (UTF-8) or as an Excel workbook."
            )
        )

    def _read_xlsx(self, content):
        try:
            # Formulas are read as formulas: a cached result may be stale or missing, so none is trusted.
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except Exception as error:
            raise UserError(self.env._("The workbook cannot be read: %s", error)) from None
        sheet = book.worksheets[0]
        rows = [
            [
                FormulaCell(cell.value)
                if cell.data_type == "f"
                else ("" if cell.value is None else cell.value)
                for cell in row
            ]
            for row in sheet.iter_rows()
        ]
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

    def _cell_errors(self, row, required=None):
        """Problems of a row's cells, each naming its column: formulas anywhere, required cells left empty.

        :return: (errors, row with formula cells emptied so no value is read from them)
        """
        required = self._required_columns() if required is None else required
        errors = []
        clean = {}
        for column, value in row.items():
            if isinstance(value, FormulaCell):
                errors.append(
                    self.env._(
                        "column '%(column)s' holds a formula (%(formula)s): type the value itself",
                        column=column,
                        formula=value,
                    )
                )
                clean[column] = ""
            else:
                clean[column] = value
        for column in required:
            if not isinstance(row.get(column), FormulaCell) and not str(row.get(column, "")).strip():
                errors.append(self.env._("column '%s' is empty", column))
        return errors, clean
