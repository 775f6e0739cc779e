import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..tools.dates import add_business_days
from .common import AffinityCase


@tagged("post_install", "-at_install")
class TestConsentHistory(AffinityCase):
    def test_every_change_is_logged_once(self):
        consent = (
            self.env["affinity.consent"]
            .with_user(self.user_affinity)
            .create(
                {
                    "partner_id": self.partner.id,
                    "channel_id": self.channel_email.id,
                    "purpose_id": self.marketing.id,
                    "state": "granted",
                    "source": "paper",
                    "proof_ref": "FORM-12",
                }
            )
        )
        self.assertEqual(len(consent.log_ids), 1)
        self.assertEqual((consent.log_ids.old_state, consent.log_ids.new_state), (False, "granted"))
        self.assertEqual(consent.log_ids.user_id, self.user_affinity)
        consent.with_user(self.user_affinity).write({"state": "denied", "source": "call_centre"})
        self.assertEqual(len(consent.log_ids), 2)
        latest = consent.log_ids.sorted("id")[-1]
        self.assertEqual(
            (latest.old_state, latest.new_state, latest.source), ("granted", "denied", "call_centre")
        )
        consent.write({"state": "denied"})  # no change, no row
        self.assertEqual(len(consent.log_ids), 2)
        # Who and when on each row, as the database's clock and the user who changed it say.
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        now = self.env.cr.fetchone()[0]
        self.assertEqual(
            {moment.replace(microsecond=0) for moment in consent.log_ids.mapped("create_date")},
            {now.replace(microsecond=0)},
        )
        self.assertEqual(consent.log_ids.create_uid, self.user_affinity)
        self.assertEqual(latest, consent.log_ids[0], "the newest row is listed first")

    def test_history_cannot_be_changed_or_deleted_by_anyone(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="event")
        log = self.partner.affinity_consent_log_ids
        for env in (self.env, self.env(su=True), self.env(user=self.user_manager)):
            with self.subTest(uid=env.uid, su=env.su):
                with self.assertRaises(UserError):
                    log.with_env(env).write({"new_state": "denied"})
                with self.assertRaises(UserError):
                    log.with_env(env).unlink()
        with self.assertRaises(AccessError):
            self.env["affinity.consent.log"].with_user(self.user_manager).create({"partner_name": "forged"})

    def test_history_outlives_the_consent_and_the_partner(self):
        partner = self.Partner.create({"name": "Gone", "email": "gone@example.com"})
        partner._affinity_set_consent("email", "marketing", "granted", source="web_form", proof_ref="WEB-1")
        log = partner.affinity_consent_log_ids
        partner.affinity_consent_ids.with_user(self.user_manager).unlink()
        partner.unlink()
        self.assertTrue(log.exists())
        self.assertEqual(
            (log.partner_name, log.partner_address, log.proof_ref), ("Gone", "gone@example.com", "WEB-1")
        )

    def test_employees_read_consents_only_affinity_users_edit(self):
        self.partner._affinity_set_consent("email", "marketing", "granted")
        consent = self.partner.affinity_consent_ids.with_user(self.user_plain)
        self.assertEqual(consent.state, "granted")
        with self.assertRaises(AccessError):
            consent.write({"state": "denied"})
        with self.assertRaises(AccessError):
            self.partner.with_user(self.user_plain).affinity_do_not_contact = True
        self.partner.with_user(self.user_affinity).affinity_do_not_contact = True
        self.assertTrue(self.partner.affinity_do_not_contact)
        with self.assertRaises(AccessError):
            consent.unlink()

    def test_iys_deadline_in_business_days(self):
        friday = datetime.date(2026, 11, 20)
        self.assertEqual(add_business_days(friday, 3), datetime.date(2026, 11, 25))
        consent = self.env["affinity.consent"].create(
            {
                "partner_id": self.partner.id,
                "channel_id": self.channel_sms.id,
                "purpose_id": self.marketing.id,
                "state": "granted",
                "source": "paper",
                "date_given": "2026-11-20 15:00:00",
            }
        )
        self.assertEqual(consent.iys_deadline, datetime.date(2026, 11, 25))
        consent.source = "iys"
        self.assertFalse(consent.iys_deadline)

    def test_consent_on_the_partner_form(self):
        view = "crm_affinity.res_partner_view_form_affinity_communication"
        with Form(self.partner.with_user(self.user_affinity), view=view) as form:
            with form.affinity_consent_ids.new() as line:
                line.channel_id = self.channel_phone
                line.purpose_id = self.service
                line.state = "denied"
        self.assertEqual(self.partner.affinity_consent_ids.state, "denied")
        self.assertEqual(self.partner.affinity_consent_log_ids.new_state, "denied")


@tagged("post_install", "-at_install")
class TestBlacklistSync(AffinityCase):
    def test_email_blacklist_both_ways(self):
        self.env["mail.blacklist"]._add("ayse@example.com")
        consent = self.partner.affinity_consent_ids
        self.assertEqual(
            (consent.channel_id, consent.purpose_id, consent.state, consent.source),
            (self.channel_email, self.marketing, "denied", "blacklist"),
        )
        self.assertEqual(consent.log_ids.note, "E-mail blacklisted")
        self.partner._affinity_set_consent(
            "email", "marketing", "granted", source="web_form", proof_ref="OPT-IN-7"
        )
        blacklist = (
            self.env["mail.blacklist"]
            .with_context(active_test=False)
            .search([("email", "=", "ayse@example.com")])
        )
        self.assertFalse(blacklist.active)
        self.assertEqual(consent.state, "granted")
        self.assertEqual(len(consent.log_ids), 2)
        # Lifting a blacklist by hand withdraws the denial but grants nothing.
        self.partner._affinity_set_consent("email", "marketing", "denied")
        self.assertTrue(blacklist.active)
        self.env["mail.blacklist"]._remove("ayse@example.com")
        self.assertEqual(consent.state, "not_asked")

    def test_denial_blacklists_with_one_line_saying_why(self):
        # A marketing denial makes the blacklist entry; its chatter says why, once (no "created" line beside
        # it, nobody made a follower of it), for an e-mail address and a number alike.
        self.partner.mobile = "+905321112233"
        # As a user works: without the tests' quiet mail context, and as a user who could follow a record.
        partner = self.partner.with_user(self.user_affinity).with_context(
            tracking_disable=False, mail_create_nolog=False, mail_create_nosubscribe=False
        )
        partner._affinity_set_consent("email", "marketing", "denied", source="call_centre")
        partner._affinity_set_consent("sms", "marketing", "denied", source="call_centre")
        for model, field, address in (
            ("mail.blacklist", "email", "ayse@example.com"),
            ("phone.blacklist", "number", "+905321112233"),
        ):
            entry = self.env[model].search([(field, "=", address)])
            self.assertTrue(entry.active, model)
            self.assertEqual(
                [message.body for message in entry.message_ids], ["<p>Marketing consent denied</p>"], model
            )
            self.assertFalse(entry.message_follower_ids, model)

    def test_phone_blacklist_checks_every_number(self):
        self.partner_other.mobile = "+44 7911 555555"
        self.env["phone.blacklist"]._add(["+447911123456"])  # the partner's phone, not its mobile
        consent = self.partner_other.affinity_consent_ids
        self.assertEqual((consent.channel_id, consent.state), (self.channel_sms, "denied"))
        self.partner_other._affinity_set_consent("sms", "marketing", "granted", source="sms")
        numbers = self.env["phone.blacklist"].with_context(active_test=False).search([])
        self.assertFalse(numbers.filtered(lambda n: n.number == "+447911123456").active)


@tagged("post_install", "-at_install")
class TestCautions(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.affinity_channel_ids = [
            (0, 0, {"channel_id": cls.channel_sms.id, "caution": "Her brother reads her SMS"}),
            (0, 0, {"channel_id": cls.channel_email.id, "caution": "Work e-mail, read by colleagues"}),
        ]

    def test_partner_banner(self):
        self.assertIn("brother", self.partner.affinity_caution_text)

    def test_email_composer_banner(self):
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                default_model="res.partner",
                default_res_ids=self.partner.ids,
                default_composition_mode="comment",
            )
            .create({"body": "Hello"})
        )
        self.assertIn("read by colleagues", composer.affinity_caution_text)
        self.assertNotIn("brother", composer.affinity_caution_text)

    def test_sms_composer_banner(self):
        composer = (
            self.env["sms.composer"]
            .with_context(
                default_res_model="res.partner",
                default_res_id=self.partner.id,
                default_composition_mode="comment",
            )
            .create({"body": "Hello"})
        )
        self.assertIn("brother", composer.affinity_caution_text)

    def test_activity_banner_through_linked_record(self):
        lead = self.env["crm.lead"].create({"name": "Tea set", "partner_id": self.partner.id})
        activity = lead.activity_schedule("mail.mail_activity_data_call", summary="Call")
        self.assertIn("brother", activity.affinity_caution_text)
        self.assertIn("colleagues", activity.affinity_caution_text)
