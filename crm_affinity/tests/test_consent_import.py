import base64
import csv
import io

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AffinityCase


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return base64.b64encode(buffer.getvalue().encode())


def xlsx_file(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return base64.b64encode(buffer.getvalue())


@tagged("post_install", "-at_install")
class TestConsentImport(AffinityCase):
    def wizard(self, data, layout="standard", filename="consents.csv"):
        return (
            self.env["affinity.consent.import"]
            .with_user(self.user_affinity)
            .create({"file": data, "filename": filename, "layout": layout})
        )

    def test_good_csv(self):
        wizard = self.wizard(
            csv_file(
                [
                    ["partner", "channel", "purpose", "state", "date", "source", "proof_ref"],
                    ["ayse@example.com", "email", "marketing", "granted", "2026-10-01", "web_form", "WEB-1"],
                    [
                        "+44 7911 123456",
                        "phone",
                        "service",
                        "denied",
                        "2026-10-02 10:00",
                        "call_centre",
                        "CALL-9",
                    ],
                ]
            )
        )
        wizard.action_preview()
        self.assertEqual((wizard.valid_count, wizard.error_count), (2, 0))
        self.assertFalse(self.partner.affinity_consent_ids, "preview writes nothing")
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        consent = self.partner.affinity_consent_ids
        self.assertEqual((consent.state, consent.proof_ref, consent.source), ("granted", "WEB-1", "web_form"))
        self.assertEqual(self.partner_other.affinity_consent_ids.state, "denied")
        self.assertIn("consents.csv", consent.log_ids.note)

    def test_bad_file_writes_nothing_and_names_every_line(self):
        wizard = self.wizard(
            csv_file(
                [
                    ["partner", "channel", "purpose", "state", "date"],
                    ["ayse@example.com", "email", "marketing", "granted", "2026-10-01"],
                    ["nobody@example.com", "email", "marketing", "granted", "2026-10-01"],
                    ["ayse@example.com", "pigeon", "marketing", "granted", "2026-10-01"],
                    ["ayse@example.com", "sms", "marketing", "maybe", "yesterday"],
                ]
            )
        )
        wizard.action_preview()
        self.assertEqual((wizard.valid_count, wizard.error_count), (1, 3))
        errors = {line.line_no: line.error for line in wizard.line_ids if line.error}
        self.assertIn("no partner matches", errors[3])
        self.assertIn("unknown channel", errors[4])
        self.assertIn("state must be", errors[5])
        self.assertIn("is not a date", errors[5])
        with self.assertRaises(UserError) as error:
            wizard.action_import()
        self.assertIn("Line 3", str(error.exception))
        self.assertFalse(self.env["affinity.consent"].search([("partner_id", "=", self.partner.id)]))

    def test_missing_columns(self):
        wizard = self.wizard(csv_file([["partner", "channel"], ["ayse@example.com", "email"]]))
        with self.assertRaises(UserError):
            wizard.action_preview()

    def test_xlsx_and_semicolons(self):
        wizard = self.wizard(
            xlsx_file(
                [
                    ["partner", "channel", "purpose", "state"],
                    [self.partner.id, "sms", "marketing", "granted"],
                ]
            ),
            filename="c.xlsx",
        )
        wizard.action_import()
        self.assertEqual(self.partner.affinity_consent_ids.channel_id, self.channel_sms)
        data = base64.b64encode(b"partner;channel;purpose;state\njohn@example.com;email;marketing;denied\n")
        self.wizard(data).action_import()
        self.assertEqual(self.partner_other.affinity_consent_ids.state, "denied")

    def test_iys_round_trip(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.partner._affinity_set_consent("email", "marketing", "denied", source="web_form")
        company = self.env["res.partner"].create(
            {"name": "Kaya Gıda Ltd. Şti.", "is_company": True, "mobile": "+90 533 444 55 66"}
        )
        company._affinity_set_consent("sms", "marketing", "granted", source="event")
        export = self.env["affinity.consent.export"].create(
            {"layout": "iys", "partner_ids": [(6, 0, (self.partner | company).ids)]}
        )
        rows = list(csv.DictReader(io.StringIO(export._iys_csv().decode())))
        by_recipient = {row["recipient"]: row for row in rows}
        self.assertEqual(by_recipient["+905321112233"]["type"], "MESAJ")
        self.assertEqual(by_recipient["+905321112233"]["status"], "ONAY")
        self.assertEqual(by_recipient["+905321112233"]["source"], "HS_ISLAK_IMZA")
        self.assertEqual(by_recipient["+905321112233"]["recipientType"], "BIREYSEL")
        self.assertEqual(by_recipient["ayse@example.com"]["status"], "RET")
        self.assertEqual(by_recipient["+905334445566"]["recipientType"], "TACIR")
        # IYS answers with its own state: import it back, as the registry of record.
        wizard = self.wizard(
            csv_file(
                [
                    ["recipient", "type", "source", "status", "consentDate", "recipientType"],
                    ["+905321112233", "MESAJ", "HS_WEB", "RET", "2026-11-02 09:00:00", "BIREYSEL"],
                ]
            ),
            layout="iys",
        )
        wizard.action_import()
        sms = self.partner.affinity_consent_ids.filtered(lambda c: c.channel_id == self.channel_sms)
        self.assertEqual((sms.state, sms.source, sms.proof_ref), ("denied", "iys", "IYS HS_WEB"))
        self.assertFalse(sms.iys_deadline)

    def test_iys_bad_codes(self):
        wizard = self.wizard(
            csv_file(
                [
                    ["recipient", "type", "source", "status", "consentDate", "recipientType"],
                    ["+905321112233", "FAKS", "HS_WEB", "ONAY", "2026-11-02 09:00:00", "BIREYSEL"],
                    ["+905321112233", "MESAJ", "HS_WEB", "BELKI", "2026-11-02 09:00:00", "BIREYSEL"],
                ]
            ),
            layout="iys",
        )
        wizard.action_preview()
        self.assertEqual(wizard.error_count, 2)

    def test_proof_workbook(self):
        self.partner._affinity_set_consent(
            "email", "marketing", "granted", source="web_form", proof_ref="=HYPERLINK(1)"
        )
        self.partner._affinity_set_consent("email", "marketing", "denied", source="call_centre")
        export = self.env["affinity.consent.export"].create(
            {"layout": "proof", "partner_ids": [(6, 0, self.partner.ids)]}
        )
        book = openpyxl.load_workbook(io.BytesIO(export._proof_xlsx()))
        history = list(book["History"].iter_rows(values_only=True))
        self.assertEqual(len(history), 3)
        self.assertEqual({row[6] for row in history[1:]}, {"granted", "denied"})
        cell = book["History"]["I2"] if book["History"]["I2"].value else book["History"]["I3"]
        self.assertEqual(cell.data_type, "s")
