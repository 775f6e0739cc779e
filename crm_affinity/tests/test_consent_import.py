import base64
import csv
import datetime
import io

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..wizards.affinity_consent_import import fold
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
        self.assertIn("unknown state 'maybe'", errors[5])
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
        # İzin Doğrulama Kuralları: "İzinlerin saat dilimi GMT+3 kabul edilir": the file IYS takes is in
        # Turkish time, not the UTC the database keeps.
        sms = self.partner.affinity_consent_ids.filtered(lambda c: c.channel_id == self.channel_sms)
        self.assertEqual(
            by_recipient["+905321112233"]["consentDate"],
            (sms.date_given + datetime.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),
        )
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

    def test_iys_file_registers_what_came_before_2015_as_hs_2015(self):
        """İzin Doğrulama Kuralları: "source: HS_2015 değeri için, sadece "consentDate": "2015-05-01 00:00:00"
        kabul edilir"; nothing else may go before that day, and an import is not HS_2015 by itself."""
        self.partner._affinity_set_consent(
            "sms", "marketing", "granted", source="import", date_given=datetime.datetime(2014, 3, 1, 9, 0)
        )
        self.partner._affinity_set_consent(
            "email", "marketing", "granted", source="import", date_given=datetime.datetime(2026, 11, 30, 9, 0)
        )
        export = self.env["affinity.consent.export"].create(
            {"layout": "iys", "partner_ids": [(6, 0, self.partner.ids)]}
        )
        rows = {row["type"]: row for row in csv.DictReader(io.StringIO(export._iys_csv().decode()))}
        self.assertEqual(
            (rows["MESAJ"]["source"], rows["MESAJ"]["consentDate"]), ("HS_2015", "2015-05-01 00:00:00")
        )
        self.assertEqual(
            (rows["EPOSTA"]["source"], rows["EPOSTA"]["consentDate"]),
            ("HS_FIZIKSEL_ORTAM", "2026-11-30 12:00:00"),
        )

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


@tagged("post_install", "-at_install")
class TestConsentImportTurkishExcel(AffinityCase):
    """A Turkish admin's workbook: Turkish dates, the labels Odoo shows in Turkish, any casing."""

    header = [
        "partner",
        "channel",
        "purpose",
        "state",
        "date",
        "source",
        "proof_ref",
        "legal_basis",
        "expiry_date",
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("tr_TR")
        cls.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        cls.user_affinity.write({"tz": "Europe/Istanbul", "lang": "tr_TR"})
        cls.partner_third = cls.Partner.create({"name": "Mehmet Kaya", "email": "mehmet@example.com"})

    def wizard(self, rows, user=None):
        return (
            self.env["affinity.consent.import"]
            .with_user(user or self.user_affinity)
            .with_context(lang="tr_TR")  # the reader's language, as their session gives it
            .create({"file": xlsx_file(rows), "filename": "izinler.xlsx", "layout": "standard"})
        )

    def consent(self, partner, channel, purpose):
        return partner.affinity_consent_ids.filtered(
            lambda c: c.channel_id == channel and c.purpose_id == purpose
        )

    def test_fold_is_turkish_case_and_accent_blind(self):
        self.assertEqual({fold("E-POSTA"), fold("e-posta"), fold("Eposta"), fold("E-posta")}, {"eposta"})
        self.assertEqual({fold("İZİN"), fold("izin"), fold("IZIN"), fold("İzin")}, {"izin"})
        self.assertEqual({fold("IŞIK"), fold("ışık"), fold("isik")}, {"isik"})
        self.assertEqual(fold("ÇAĞRI MERKEZİ"), fold("çağrı merkezi"))
        self.assertEqual(fold("Not asked"), fold("not_asked"))

    @freeze_time("2026-12-01 09:00:00")
    def test_turkish_workbook_is_imported(self):
        wizard = self.wizard(
            [
                self.header,
                # Turkish Excel's date-time as text, the labels as the Turkish screens show them.
                [
                    "ayse@example.com",
                    "E-posta",
                    "Pazarlama",
                    "Verildi",
                    "06.11.2026 14:30",
                    "İmzalı kâğıt",
                    "FORM-7",
                    "Açık rıza",
                    "06.11.2028",
                ],
                # Excel's own date-time cell; upper case with the Turkish dotted capital İ.
                [
                    "john@example.com",
                    "SMS",
                    "PAZARLAMA",
                    "REDDEDİLDİ",
                    datetime.datetime(2026, 11, 5, 9, 15),
                    "WEB FORMU",
                    "",
                    "MEŞRU MENFAAT",
                    "",
                ],
                # Lower case without Turkish letters; a day with slashes; English labels; an ISO date.
                [
                    "mehmet@example.com",
                    "e-posta",
                    "hizmet",
                    "sorulmadi",
                    "05/11/2026",
                    "cagri merkezi",
                    "",
                    "",
                    "2027-01-31",
                ],
                [
                    "mehmet@example.com",
                    "Phone call",
                    "Relationship (greetings)",
                    "Granted",
                    "04.11.2026 08:05:09",
                    "Call centre",
                    "",
                    "Legitimate interest",
                    "",
                ],
            ]
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.filtered("error").mapped("error"), [])
        self.assertEqual(wizard.valid_count, 4)
        wizard.action_import()
        email = self.consent(self.partner, self.channel_email, self.marketing)
        self.assertEqual(
            (email.state, email.source, email.legal_basis, email.proof_ref),
            ("granted", "paper", "consent", "FORM-7"),
        )
        # 14:30 in Istanbul (UTC+3 all year) is 11:30 UTC, the moment Odoo keeps.
        self.assertEqual(email.date_given, datetime.datetime(2026, 11, 6, 11, 30))
        self.assertEqual(email.expiry_date, datetime.date(2028, 11, 6))
        sms = self.consent(self.partner_other, self.channel_sms, self.marketing)
        self.assertEqual(
            (sms.state, sms.source, sms.legal_basis), ("denied", "web_form", "legitimate_interest")
        )
        self.assertEqual(sms.date_given, datetime.datetime(2026, 11, 5, 6, 15))
        service = self.consent(self.partner_third, self.channel_email, self.service)
        self.assertEqual((service.state, service.source), ("not_asked", "call_centre"))
        self.assertEqual(service.date_given, datetime.datetime(2026, 11, 4, 21, 0))
        self.assertEqual(service.expiry_date, datetime.date(2027, 1, 31))
        call = self.consent(self.partner_third, self.channel_phone, self.relationship)
        self.assertEqual((call.state, call.legal_basis), ("granted", "legitimate_interest"))
        self.assertEqual(call.date_given, datetime.datetime(2026, 11, 4, 5, 5, 9))

    @freeze_time("2026-12-01 09:00:00")
    def test_errors_name_line_column_and_what_is_accepted(self):
        wizard = self.wizard(
            [
                self.header,
                ["ayse@example.com", "e-p", "Pazarlama", "Verildi", "06.11.2026", "", "", "", ""],
                [
                    "ayse@example.com",
                    "SMS",
                    "Pazarlamaa",
                    "belki",
                    "32.13.2026 25:00",
                    "güvercin",
                    "",
                    "",
                    "",
                ],
            ]
        )
        wizard.action_preview()
        errors = {line.line_no: line.error for line in wizard.line_ids if line.error}
        self.assertEqual(set(errors), {2, 3})
        # In the reader's Turkish: the column, the value, and every accepted label with its code.
        self.assertIn("'channel'", errors[2])
        self.assertIn("'e-p'", errors[2])
        for accepted in (
            "E-posta (email)",
            "SMS (sms)",
            "Telefon araması (phone)",
            "WhatsApp",
            "Posta (post)",
        ):
            self.assertIn(accepted, errors[2])
        self.assertIn("'purpose'", errors[3])
        self.assertIn("Pazarlama (marketing)", errors[3])
        self.assertIn("'state'", errors[3])
        self.assertIn("Verildi (granted), Reddedildi (denied), Sorulmadı (not_asked)", errors[3])
        self.assertNotIn("pending", errors[3], "a grant awaiting confirmation is not a file's to set")
        self.assertIn("'source'", errors[3])
        self.assertIn("İmzalı kâğıt (paper)", errors[3])
        self.assertIn("'date'", errors[3])
        self.assertIn("06.11.2026 14:30", errors[3], "the refused date shows the formats accepted")
        with self.assertRaises(UserError) as refused:
            wizard.action_import()
        message = str(refused.exception)
        self.assertIn("2: 'channel'", message.replace("Satır ", "").replace("Line ", ""))
        self.assertIn("Posta (post), Ziyaret (visit)", message, "the whole list, nothing cut off")
        self.assertFalse(self.partner.affinity_consent_ids)
        # The preview's error column wraps (a text cell) instead of cutting the message off.
        self.assertEqual(wizard.line_ids._fields["error"].type, "text")

    def test_the_dialog_keeps_its_title(self):
        wizard = self.wizard([self.header, ["ayse@example.com", "email", "marketing", "granted"] + [""] * 5])
        self.assertEqual(wizard.action_preview()["name"], "İzin İçe Aktar")
        self.user_manager.lang = "en_US"
        english = (
            self.env["affinity.consent.import"]
            .with_user(self.user_manager)
            .create({"file": wizard.file, "filename": "consents.xlsx", "layout": "standard"})
        )
        self.assertEqual(english.action_preview()["name"], "Import Consents")
