"""The promise where features meet: no wrong message to the wrong person, the file out of the wrong eyes.

One regression test per path found open when the addon was tried as a new user and as an auditor would.
"""

import base64
import datetime
import io
import random

import openpyxl
from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import AffinityCase
from .test_consent_import import csv_file, xlsx_file

# Odoo cancels these itself, before the decision is asked, for the same cause the decision names. Its
# blacklist's cancellations are not among them: they name the consent's reason.
ODOO_OWN_CANCELS = {
    "mail_email_missing",
    "mail_email_invalid",
    "sms_number_missing",
    "sms_number_format",
}


@tagged("post_install", "-at_install")
class TestFollowupContacts(AffinityCase):
    """A person's task that reaches the customer is a contact over a channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.affinity_consent_mode = "opt_in"
        cls.lapsing = cls.Partner.create(
            {
                "name": "Lapsing Customer",
                "email": "lapsing@example.com",
                "mobile": "+90 532 222 33 44",
                "phone": "+90 212 444 55 66",
                "tz": "UTC",
                "affinity_owner_id": cls.user_affinity.id,
            }
        )

    def followup(self, rule, partner, day="2027-01-15"):
        day = datetime.date.fromisoformat(day)
        return self.env["affinity.followup"].create(
            {
                "rule_id": rule.id,
                "partner_id": partner.id,
                "company_id": self.company.id,
                "occurrence_date": day,
                "due_date": day,
                "due_datetime": datetime.datetime.combine(day, datetime.time(10)),
                "user_id": self.user_affinity.id,
            }
        )

    def test_blocked_winback_is_skipped_not_a_call(self):
        rule = self.env.ref("crm_affinity.followup_rule_winback")
        self.lapsing.write(
            {
                "affinity_last_order_date": datetime.date(2026, 10, 1),
                "affinity_lapse_date": datetime.date(2027, 1, 15),
            }
        )
        with freeze_time("2027-01-15 08:00:00"):
            planned = rule._plan(datetime.date(2027, 1, 15))
        followup = planned.filtered(lambda f: f.partner_id == self.lapsing)
        self.assertEqual(len(followup), 1)
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 12, 0))
        self.assertEqual(followup.state, "skipped")
        self.assertEqual(
            followup.reason,
            "email:not_asked_optin_mode, sms:not_asked_optin_mode, phone:not_asked_optin_mode",
        )
        self.assertFalse(followup.activity_id)
        self.assertFalse(self.lapsing.activity_ids, "no task tells a salesperson to call")
        self.assertEqual(
            followup.reason_label,
            "E-mail: not asked — opt-in mode; SMS: not asked — opt-in mode; "
            "Phone call: not asked — opt-in mode",
        )
        self.assertNotIn("optin_mode", followup.reason_label)

    def test_winback_reaches_by_the_one_permitted_channel(self):
        rule = self.env.ref("crm_affinity.followup_rule_winback")
        self.lapsing._affinity_set_consent("phone", "marketing", "granted", source="call_centre")
        followup = self.followup(rule, self.lapsing)
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 12, 0))
        self.assertEqual((followup.state, followup.channel_id), ("sent", self.channel_phone))
        activity = followup.activity_id
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.summary, "Lapsing customer: call and ask how we can help")
        self.assertNotIn("optin", activity.note or "")

    def test_activity_rule_asks_the_decision_for_its_channel(self):
        rule = self.env.ref("crm_affinity.followup_rule_cadence_call")  # a Call: the phone channel
        self.assertEqual(rule.activity_type_id.affinity_channel_id, self.channel_phone)
        willing = self.Partner.create({"name": "Willing", "phone": "+90 212 333 22 11"})
        refused = self.Partner.create({"name": "Refused", "phone": "+90 212 333 22 12"})
        no_contact = self.Partner.create(
            {"name": "Quiet", "phone": "+90 212 333 22 13", "affinity_do_not_contact": True}
        )
        refused._affinity_set_consent("phone", "relationship", "denied", source="call_centre")
        followups = (
            self.followup(rule, willing) | self.followup(rule, refused) | self.followup(rule, no_contact)
        )
        followups._dispatch(now=datetime.datetime(2027, 1, 15, 12, 0))
        by_partner = {f.partner_id: f for f in followups}
        self.assertEqual(by_partner[willing].state, "sent")
        self.assertEqual(by_partner[willing].activity_id.activity_type_id, rule.activity_type_id)
        self.assertEqual(
            (by_partner[refused].state, by_partner[refused].reason, by_partner[refused].channel_id),
            ("skipped", "denied", self.channel_phone),
        )
        self.assertEqual(by_partner[refused].reason_label, "consent denied")
        self.assertEqual(
            (by_partner[no_contact].state, by_partner[no_contact].reason), ("skipped", "do_not_contact")
        )
        self.assertFalse((refused | no_contact).activity_ids)

    def test_meeting_is_a_visit_and_a_todo_reaches_nobody(self):
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.assertEqual(meeting.affinity_channel_id, self.env.ref("crm_affinity.affinity_channel_visit"))
        self.assertFalse(todo.affinity_channel_id)
        visit_rule = self.env["affinity.followup.rule"].create(
            {
                "name": "Visit",
                "trigger": "cadence",
                "action": "activity",
                "activity_type_id": meeting.id,
                "purpose_id": self.marketing.id,
            }
        )
        todo_rule = visit_rule.copy({"name": "Prepare", "activity_type_id": todo.id})
        # Opt-in and never asked for visits: no visit. An internal to-do reaches nobody: it goes ahead.
        self.lapsing.write({"street": "Bağdat Cd. 1", "city": "İstanbul"})
        visit = self.followup(visit_rule, self.lapsing)
        prepare = self.followup(todo_rule, self.lapsing)
        (visit | prepare)._dispatch(now=datetime.datetime(2027, 1, 15, 12, 0))
        self.assertEqual((visit.state, visit.reason), ("skipped", "not_asked_optin_mode"))
        self.assertEqual(prepare.state, "sent")
        self.assertEqual(prepare.activity_id.activity_type_id, todo)


@tagged("post_install", "-at_install")
class TestMailingsObeyEveryDenial(MockEmail, AffinityCase):
    def sms_mailing(self, partners):
        return self.env["mailing.mailing"].create(
            {
                "name": "SMS offers",
                "subject": "SMS offers",
                "mailing_type": "sms",
                "body_plaintext": "Autumn offers",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partners.ids)]),
                "sms_force_send": False,
            }
        )

    def email_mailing(self, partners):
        return self.env["mailing.mailing"].create(
            {
                "subject": "Autumn offers",
                "body_html": "<p>Hello</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partners.ids)]),
            }
        )

    def test_sms_to_a_partner_whose_other_number_is_blacklisted(self):
        self.company.affinity_consent_mode = "opt_in"
        self.env["phone.blacklist"].create({"number": "+902126748528"})
        partner = self.Partner.create(
            {"name": "Never asked", "mobile": "+905323456114", "phone": "+902126748528"}
        )
        decision = partner._affinity_contact_decision("sms", "marketing", check_window=False)[partner.id]
        self.assertEqual(decision.reason, "blacklisted")
        mailing = self.sms_mailing(partner)
        mailing.action_send_sms()
        trace = mailing.mailing_trace_ids
        self.assertEqual((trace.trace_status, trace.failure_type), ("cancel", "affinity_blacklisted"))
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        self.assertEqual(sms.state, "canceled")

    def test_property_every_denial_is_held_back(self):
        """Random partners x consent states x blacklists on either number x both modes."""
        rng = random.Random(1453)
        states = ("granted", "denied", "not_asked", "expired", "none")
        blacklist_emails, blacklist_numbers = [], []
        specs = []
        for index in range(36):
            mobile = f"+90532{1000000 + index:07d}"
            phone = f"+90212{2000000 + index:07d}"
            email = f"p{index}@property.example.com"
            spec = {
                "name": f"Property {index}",
                "email": email if rng.random() < 0.85 else False,
                "mobile": mobile if rng.random() < 0.8 else False,
                "phone": phone if rng.random() < 0.6 else False,
                "affinity_do_not_contact": rng.random() < 0.1,
            }
            if rng.random() < 0.15:
                blacklist_emails.append(email)
            if rng.random() < 0.15:
                blacklist_numbers.append(mobile)
            if rng.random() < 0.15:
                blacklist_numbers.append(phone)
            specs.append((spec, {"email": rng.choice(states), "sms": rng.choice(states)}))
        # The case Odoo misses by itself: the partner's other number is blacklisted, the mobile is not.
        for index in range(2):
            phone = f"+90216{3000000 + index:07d}"
            blacklist_numbers.append(phone)
            spec = {"name": f"Other number {index}", "mobile": f"+90533{3000000 + index:07d}", "phone": phone}
            specs.append((spec, {"email": "none", "sms": ("none", "granted")[index]}))
        # Blacklisted before the partners exist: the decision sees a blacklist, not a denial it mirrored.
        self.env["mail.blacklist"].create([{"email": email} for email in blacklist_emails])
        self.env["phone.blacklist"].create([{"number": number} for number in blacklist_numbers])
        partners = self.Partner.create([spec for spec, _states in specs])
        Consent = self.env["affinity.consent"]
        for partner, (_spec, wanted) in zip(partners, specs, strict=True):
            for channel_code, state in wanted.items():
                channel = self.env.ref(f"crm_affinity.affinity_channel_{channel_code}")
                if state == "expired":
                    Consent.create(
                        {
                            "partner_id": partner.id,
                            "channel_id": channel.id,
                            "purpose_id": self.marketing.id,
                            "state": "granted",
                            "date_given": "2020-01-01 10:00:00",
                            "expiry_date": "2021-01-01",
                        }
                    )
                elif state != "none":
                    partner._affinity_set_consent(channel_code, "marketing", state, source="web_form")
        seen_reasons = set()
        for mode in ("opt_out", "opt_in"):
            self.company.affinity_consent_mode = mode
            for channel_code in ("email", "sms"):
                decisions = partners._affinity_contact_decision(channel_code, "marketing", check_window=False)
                if channel_code == "email":
                    mailing = self.email_mailing(partners)
                    with self.mock_mail_gateway(mail_unlink_sent=False):
                        mailing.action_send_mail()
                else:
                    mailing = self.sms_mailing(partners)
                    mailing.action_send_sms()
                traces = {trace.res_id: trace for trace in mailing.mailing_trace_ids}
                for partner in partners:
                    decision = decisions[partner.id]
                    trace = traces.get(partner.id)
                    seen_reasons.add(decision.reason)
                    context = f"{mode} {channel_code} {partner.name}: {decision}"
                    if decision.allowed:
                        if trace:
                            self.assertNotEqual(trace.trace_status, "cancel", context)
                        continue
                    if not trace:
                        # Odoo leaves out a partner without any address before writing a trace.
                        self.assertEqual(decision.reason, "no_address", context)
                        continue
                    self.assertEqual(trace.trace_status, "cancel", context)
                    self.assertIn(
                        trace.failure_type,
                        {f"affinity_{decision.reason}"} | ODOO_OWN_CANCELS,
                        context,
                    )
                    if decision.reason == "blacklisted" and trace.failure_type == "affinity_blacklisted":
                        seen_reasons.add("held back by the decision")
        self.assertTrue(
            {"denied", "blacklisted", "expired", "do_not_contact", "not_asked_optin_mode"}
            | {"granted", "held back by the decision"}
            <= seen_reasons,
            f"the random draw covers every denial: {seen_reasons}",
        )


@tagged("post_install", "-at_install")
class TestConsentProof(AffinityCase):
    def test_removing_a_consent_is_a_logged_change(self):
        self.partner._affinity_set_consent(
            "email", "marketing", "granted", source="web_form", proof_ref="W-1"
        )
        consent = self.partner.affinity_consent_ids
        consent.with_user(self.user_manager).unlink()
        self.assertFalse(consent.exists())
        last = self.env["affinity.consent.log"].search([("partner_id", "=", self.partner.id)], limit=1)
        self.assertEqual((last.old_state, last.new_state), ("granted", "not_asked"))
        self.assertEqual(last.user_id, self.user_manager)
        self.assertEqual(last.note, "Consent removed")
        self.assertEqual(last.channel_id, self.channel_email)
        # The history still proves the grant that came before.
        first = self.env["affinity.consent.log"].search([("partner_id", "=", self.partner.id)], order="id")[0]
        self.assertEqual((first.new_state, first.proof_ref), ("granted", "W-1"))

    def test_removing_from_the_partner_form_logs_too(self):
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="call_centre")
        consent = self.partner.affinity_consent_ids
        self.partner.with_user(self.user_manager).write({"affinity_consent_ids": [(2, consent.id)]})
        last = self.env["affinity.consent.log"].search([("partner_id", "=", self.partner.id)], limit=1)
        self.assertEqual((last.old_state, last.new_state), ("denied", "not_asked"))

    def test_turkish_company_starts_safe(self):
        employees = self.env.ref("base.group_user")
        scope = self.env.ref("crm_affinity.group_affinity_own_only")
        employees._remove_group(scope)
        other = self.env["res.company"].create(
            {"name": "Elsewhere Ltd", "country_id": self.env.ref("base.be").id}
        )
        self.assertEqual(other.affinity_consent_mode, "opt_out")
        self.assertNotIn(scope, employees.implied_ids)
        turkish = self.env["res.company"].create(
            {"name": "Yakın A.Ş.", "country_id": self.env.ref("base.tr").id}
        )
        self.assertEqual(turkish.affinity_consent_mode, "opt_in")
        self.assertIn(scope, employees.implied_ids)
        # Becoming Turkish switches to opt-in; an admin's later choice stands.
        other.country_id = self.env.ref("base.tr")
        self.assertEqual(other.affinity_consent_mode, "opt_in")
        other.affinity_consent_mode = "opt_out"
        other.city = "İzmir"
        self.assertEqual(other.affinity_consent_mode, "opt_out")


@tagged("post_install", "-at_install")
class TestFileOutOfWrongEyes(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.affinity_salutation = "Ayşe Hanım"
        cls.template = cls.env.ref("crm_affinity.mail_template_birthday")

    def composer_subject(self, user):
        composer = (
            self.env["mail.compose.message"]
            .with_user(user)
            .with_context(
                default_model="res.partner",
                default_res_ids=self.partner.ids,
                default_template_id=self.template.id,
                default_composition_mode="comment",
            )
            .create({})
        )
        return composer.subject

    def test_template_renders_only_what_the_user_may_read(self):
        self.assertEqual(self.composer_subject(self.user_scoped), "Happy birthday, Ayşe Yılmaz!")
        self.assertEqual(self.composer_subject(self.user_plain), "Happy birthday, Ayşe Yılmaz!")
        self.assertEqual(self.composer_subject(self.user_affinity), "Happy birthday, Ayşe Hanım!")
        self.partner.affinity_owner_id = self.user_scoped
        self.assertEqual(self.composer_subject(self.user_scoped), "Happy birthday, Ayşe Hanım!")
        # The dispatcher renders as superuser: the real salutation.
        self.partner.affinity_owner_id = False
        self.assertEqual(self.partner.sudo().affinity_greeting_name(), "Ayşe Hanım")

    def test_profile_is_not_cached_across_users(self):
        self.assertEqual(self.partner.sudo().affinity_salutation, "Ayşe Hanım")
        self.assertFalse(self.partner.with_user(self.user_scoped).affinity_salutation)
        self.assertEqual(self.partner.with_user(self.user_affinity).affinity_salutation, "Ayşe Hanım")


@tagged("post_install", "-at_install")
class TestScoringWorkbookScope(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_both = new_test_user(
            cls.env,
            "aff_both",
            groups="crm_affinity.group_affinity_user",
            company_id=cls.company.id,
            company_ids=[(6, 0, (cls.company | cls.company_b).ids)],
        )
        cls.spring = cls.env["utm.campaign"].create({"title": "Spring test"})
        cls.autumn = cls.env["utm.campaign"].create({"title": "Autumn test"})
        cls.source = cls.env["utm.source"].create({"name": "Scope test source"})
        Partner = cls.env["res.partner"]
        common = {"affinity_acquired_on": "2026-02-01", "affinity_source_id": cls.source.id}
        cls.spring_a = Partner.create(
            dict(common, name="Spring A", company_id=cls.company.id, affinity_campaign_id=cls.spring.id)
        )
        cls.autumn_a = Partner.create(
            dict(common, name="Autumn A", company_id=cls.company.id, affinity_campaign_id=cls.autumn.id)
        )
        cls.spring_b = Partner.create(
            dict(common, name="Spring B", company_id=cls.company_b.id, affinity_campaign_id=cls.spring.id)
        )

    def workbook(self, **values):
        score = (
            self.env["affinity.campaign.score"]
            .with_user(self.user_both)
            .with_context(allowed_company_ids=(self.company | self.company_b).ids)
            .create(dict({"date_from": "2026-01-01", "date_to": "2026-03-31"}, **values))
        )
        book = openpyxl.load_workbook(io.BytesIO(score._xlsx()))
        return score, book

    def sheet_names(self, sheet, column=0):
        return {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}

    def test_customers_sheet_keeps_to_the_companies_of_the_score(self):
        _score, book = self.workbook(company_ids=[(6, 0, self.company.ids)])
        names = self.sheet_names(book["Customers"])
        self.assertIn("Spring A", names)
        self.assertNotIn("Spring B", names)

    def test_every_sheet_keeps_the_campaign_filter(self):
        score, book = self.workbook(
            company_ids=[(6, 0, self.company.ids)],
            dimension="campaign",
            campaign_ids=[(6, 0, self.spring.ids)],
        )
        self.assertEqual(self.sheet_names(book["Customers"]), {"Spring A"})
        summary = book["Summary by ROI"]
        # The campaign's line and the sheet's total row.
        self.assertEqual(self.sheet_names(summary, 1), {"Spring test", "Total"})
        header = [cell.value for cell in summary[1]]
        by_source = {
            row[1]: dict(zip(header, row, strict=True))
            for row in book["Source"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(by_source["Scope test source"]["New customers"], 1)
        # The lines on screen are the lines of the summary.
        score.action_compute()
        self.assertEqual(score.line_ids.mapped("name"), ["Spring test"])

    def test_pivot_and_graph_group_by_stored_fields(self):
        score, _book = self.workbook(
            company_ids=[(6, 0, self.company.ids)], dimension="campaign", rank_by="value"
        )
        action = score.action_compute()
        self.assertEqual(action["context"]["graph_measure"], "revenue")
        Line = self.env["affinity.campaign.score.line"].with_user(self.user_both)
        groups = Line.read_group(action["domain"], ["new_customers:sum", "roi:avg"], ["name"])
        self.assertEqual({group["name"] for group in groups}, {"Spring test", "Autumn test"})
        self.assertTrue(all(group["new_customers"] == 1 for group in groups))
        months = score.copy({"dimension": "cohort"})
        months.action_compute()
        groups = Line.read_group([("score_id", "=", months.id)], ["new_customers:sum"], ["name"])
        self.assertEqual([(group["name"], group["new_customers"]) for group in groups], [("2026-02", 2)])


@tagged("post_install", "-at_install")
class TestConsentImportBadInput(AffinityCase):
    header = ["partner", "channel", "purpose", "state", "date", "source", "expiry_date"]

    def wizard(self, data, filename="consents.csv"):
        return (
            self.env["affinity.consent.import"]
            .with_user(self.user_affinity)
            .create({"file": data, "filename": filename, "layout": "standard"})
        )

    def preview_errors(self, wizard):
        wizard.action_preview()
        return {line.line_no: line.error for line in wizard.line_ids if line.error}

    def assert_nothing_written(self, wizard, *expected):
        with self.assertRaises(UserError) as error:
            wizard.action_import()
        for text in expected:
            self.assertIn(text, str(error.exception))
        self.assertFalse(self.env["affinity.consent"].search([("partner_id", "=", self.partner.id)]))

    def test_duplicate_keys_are_named_and_refused(self):
        wizard = self.wizard(
            csv_file(
                [
                    self.header,
                    ["ayse@example.com", "email", "marketing", "granted", "2026-10-01", "web_form", ""],
                    ["john@example.com", "email", "marketing", "granted", "2026-10-01", "web_form", ""],
                    ["ayse@example.com", "email", "marketing", "denied", "2026-10-02", "web_form", ""],
                ]
            )
        )
        errors = self.preview_errors(wizard)
        self.assertEqual(set(errors), {2, 4})
        self.assertIn("the same partner, channel and purpose as line 4", errors[2])
        self.assertIn("the same partner, channel and purpose as line 2", errors[4])
        self.assert_nothing_written(wizard, "Line 2", "Line 4")

    def test_expiry_before_the_consent_date_names_the_line(self):
        wizard = self.wizard(
            csv_file(
                [
                    self.header,
                    [
                        "ayse@example.com",
                        "email",
                        "marketing",
                        "granted",
                        "2026-10-01",
                        "web_form",
                        "2026-09-01",
                    ],
                ]
            )
        )
        errors = self.preview_errors(wizard)
        self.assertIn("expires (2026-09-01) before it was given (2026-10-01)", errors[2])
        self.assert_nothing_written(wizard, "Line 2", "before it was given")

    def test_empty_required_cells_name_line_and_column(self):
        wizard = self.wizard(
            csv_file(
                [
                    self.header,
                    ["ayse@example.com", "", "marketing", "granted", "2026-10-01", "web_form", ""],
                    ["", "sms", "", "granted", "2026-10-01", "web_form", ""],
                ]
            )
        )
        errors = self.preview_errors(wizard)
        self.assertEqual(errors[2], "column 'channel' is empty")
        self.assertIn("column 'partner' is empty", errors[3])
        self.assertIn("column 'purpose' is empty", errors[3])
        self.assertNotIn("no partner matches", errors[3])
        self.assert_nothing_written(wizard, "Line 2: column 'channel' is empty", "Line 3")

    def test_formula_cells_are_refused_never_evaluated(self):
        data = xlsx_file(
            [
                self.header,
                ["ayse@example.com", "email", "marketing", "granted", "=TODAY()", "web_form", ""],
                ['=LOWER("JOHN@EXAMPLE.COM")', "sms", "marketing", "granted", "2026-10-01", "web_form", ""],
            ]
        )
        wizard = self.wizard(data, filename="consents.xlsx")
        errors = self.preview_errors(wizard)
        self.assertEqual(errors[2], "column 'date' holds a formula (=TODAY()): type the value itself")
        self.assertIn("column 'partner' holds a formula", errors[3])
        self.assertNotIn("is empty", errors[3])
        self.assert_nothing_written(wizard, "Line 2", "Line 3", "formula")

    def test_turkish_excel_csv(self):
        rows = [
            "partner;channel;purpose;state;date;source;proof_ref",
            "ayse@example.com;email;marketing;granted;01.10.2026;paper;İmzalı form Şubat ğüşıöç",
        ]
        for encoding in ("cp1254", "iso-8859-9", "utf-8-sig", "utf-8"):
            wizard = self.wizard(base64.b64encode("\r\n".join(rows).encode(encoding)))
            wizard.action_preview()
            self.assertEqual(wizard.error_count, 0, encoding)
            self.assertEqual(wizard.line_ids.proof_ref, "İmzalı form Şubat ğüşıöç", encoding)
        wizard.action_import()
        self.assertEqual(self.partner.affinity_consent_ids.proof_ref, "İmzalı form Şubat ğüşıöç")

    def test_spend_import_refuses_formulas_and_empty_cells(self):
        source = self.env["utm.source"].create({"name": "Formula test source"})
        data = xlsx_file(
            [
                ["date_from", "date_to", "amount", "source"],
                ["2026-01-01", "2026-01-31", "=100*2", "Formula test source"],
                ["2026-02-01", "", "100", "Formula test source"],
            ]
        )
        wizard = (
            self.env["affinity.spend.import"]
            .with_user(self.user_manager)
            .create({"file": data, "filename": "spend.xlsx"})
        )
        with self.assertRaises(UserError) as error:
            wizard.action_import()
        self.assertIn("Line 2: column 'amount' holds a formula", str(error.exception))
        self.assertIn("Line 3: column 'date_to' is empty", str(error.exception))
        self.assertFalse(self.env["affinity.marketing.spend"].search([("source_id", "=", source.id)]))
