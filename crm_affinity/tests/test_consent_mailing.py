import re

from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import tagged

from .common import AffinityCase, set_blacklist_rows


@tagged("post_install", "-at_install")
class TestMassMailingConsent(MockEmail, AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.granted = Partner.create(
            {"name": "Granted", "email": "granted@example.com", "mobile": "+90 532 100 00 01"}
        )
        cls.denied = Partner.create(
            {"name": "Denied", "email": "denied@example.com", "mobile": "+90 532 100 00 02"}
        )
        cls.unasked = Partner.create(
            {"name": "Unasked", "email": "unasked@example.com", "mobile": "+90 532 100 00 03"}
        )
        cls.dnc = Partner.create(
            {
                "name": "DNC",
                "email": "dnc@example.com",
                "mobile": "+90 532 100 00 04",
                "affinity_do_not_contact": True,
            }
        )
        cls.audience = cls.granted | cls.denied | cls.unasked | cls.dnc
        cls.granted._affinity_set_consent("email", "marketing", "granted", source="web_form")
        cls.granted._affinity_set_consent("sms", "marketing", "granted", source="web_form")
        cls.denied._affinity_set_consent("email", "marketing", "denied", source="call_centre")
        cls.denied._affinity_set_consent("sms", "marketing", "denied", source="call_centre")
        # Denials are mirrored into Odoo's blacklists; lift them so only the consent decision speaks.
        set_blacklist_rows(cls.env, "mail.blacklist", active=False)
        set_blacklist_rows(cls.env, "phone.blacklist", active=False)

    def _email_mailing(self, model="res.partner", domain=None):
        return self.env["mailing.mailing"].create(
            {
                "subject": "Autumn offers",
                "body_html": "<p>Hello</p>",
                "mailing_model_id": self.env["ir.model"]._get_id(model),
                "mailing_domain": repr(domain or [("id", "in", self.audience.ids)]),
            }
        )

    def _traces(self, mailing):
        return {trace.res_id: (trace.trace_status, trace.failure_type) for trace in mailing.mailing_trace_ids}

    def test_email_mailing_skips_denied_and_do_not_contact(self):
        mailing = self._email_mailing()
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        traces = self._traces(mailing)
        self.assertEqual(traces[self.denied.id], ("cancel", "affinity_denied"))
        self.assertEqual(traces[self.dnc.id], ("cancel", "affinity_do_not_contact"))
        self.assertNotEqual(traces[self.granted.id][0], "cancel")
        # Opt-out mode: a partner never asked is mailed exactly as Odoo would.
        self.assertNotEqual(traces[self.unasked.id][0], "cancel")

    def test_email_mailing_opt_in_mode(self):
        self.company.affinity_consent_mode = "opt_in"
        mailing = self._email_mailing()
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        traces = self._traces(mailing)
        self.assertEqual(traces[self.unasked.id], ("cancel", "affinity_not_asked_optin_mode"))
        self.assertNotEqual(traces[self.granted.id][0], "cancel")

    def test_leads_and_contacts_linked_to_partners(self):
        Lead = self.env["crm.lead"]
        lead_denied = Lead.create(
            {"name": "L1", "partner_id": self.denied.id, "email_from": "denied@example.com"}
        )
        lead_free = Lead.create({"name": "L2", "email_from": "stranger@example.com"})
        mailing = self._email_mailing("crm.lead", [("id", "in", (lead_denied | lead_free).ids)])
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        traces = self._traces(mailing)
        self.assertEqual(traces[lead_denied.id], ("cancel", "affinity_denied"))
        self.assertNotEqual(traces[lead_free.id][0], "cancel")

        contact = self.env["mailing.contact"].create({"name": "Denied", "email": "denied@example.com"})
        other = self.env["mailing.contact"].create({"name": "Other", "email": "other@example.com"})
        mailing = self._email_mailing("mailing.contact", [("id", "in", (contact | other).ids)])
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        traces = self._traces(mailing)
        self.assertEqual(traces[contact.id], ("cancel", "affinity_denied"))
        self.assertNotEqual(traces[other.id][0], "cancel")

    def test_sms_mailing(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "SMS offers",
                "subject": "SMS offers",
                "mailing_type": "sms",
                "body_plaintext": "Autumn offers",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", self.audience.ids)]),
                "sms_force_send": False,
            }
        )
        mailing.action_send_sms()
        traces = self._traces(mailing)
        self.assertEqual(traces[self.denied.id], ("cancel", "affinity_denied"))
        self.assertEqual(traces[self.dnc.id], ("cancel", "affinity_do_not_contact"))
        self.assertNotEqual(traces[self.granted.id][0], "cancel")
        self.assertNotEqual(traces[self.unasked.id][0], "cancel")
        sms = self.env["sms.sms"].search(
            [("mailing_id", "=", mailing.id), ("partner_id", "=", self.denied.id)]
        )
        self.assertEqual((sms.state, sms.failure_type), ("canceled", "affinity_denied"))

    def _sms_mailing(self, partners, purpose=None, body="Your order is ready"):
        return self.env["mailing.mailing"].create(
            {
                "name": "SMS",
                "subject": "SMS",
                "mailing_type": "sms",
                "body_plaintext": body,
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partners.ids)]),
                "sms_force_send": False,
                "affinity_purpose_id": purpose.id if purpose else False,
            }
        )

    def test_a_marketing_no_never_stops_a_service_message(self):
        """Withdrawing SMS and e-mail marketing in the preference centre puts the address on Odoo's
        blacklists (for every mailing to it, from any list): a marketing mailing is cancelled with the
        consent's reason, never Odoo's bare *blacklisted*; a service mailing still reaches the person. Who
        put themselves on Odoo's blacklist is not reached even by a service mailing, and the cancellation
        says so."""
        withdrew = self.Partner.create(
            {"name": "Withdrew", "email": "withdrew@example.com", "mobile": "+90 532 100 00 09"}
        )
        withdrew._affinity_set_consent("sms", "marketing", "granted", source="web_form")
        withdrew._affinity_set_consent("email", "marketing", "granted", source="web_form")
        centre = self.env["affinity.preference.centre"]
        centre._apply(withdrew, set(), False, {"ip_address": "127.0.0.1", "user_agent": "test"})
        marketing_consents = withdrew.affinity_consent_ids.filtered(
            lambda c: (
                c.purpose_id == self.marketing and c.channel_id in (self.channel_sms | self.channel_email)
            )
        )
        self.assertEqual(marketing_consents.mapped("state"), ["denied", "denied"])
        self.assertTrue(withdrew.phone_sanitized_blacklisted, "mirrored on Odoo's SMS blacklist")
        self.assertTrue(withdrew.is_blacklisted, "mirrored on Odoo's e-mail blacklist")
        listed = self.Partner.create(
            {"name": "Listed", "email": "listed@example.com", "mobile": "+90 532 100 00 08"}
        )
        self.env["phone.blacklist"].sudo()._add([listed.phone_sanitized])
        self.env["mail.blacklist"].sudo()._add(listed.email)
        people = withdrew | listed
        marketing = self._sms_mailing(people)
        marketing.action_send_sms()
        self.assertEqual(self._traces(marketing)[withdrew.id], ("cancel", "affinity_denied"))
        self.assertEqual(self._traces(marketing)[listed.id], ("cancel", "affinity_denied"))
        service = self._sms_mailing(people, self.service)
        service.action_send_sms()
        traces = self._traces(service)
        self.assertNotEqual(traces[withdrew.id][0], "cancel")
        self.assertEqual(traces[listed.id], ("cancel", "affinity_blacklisted"))
        for purpose, expected in ((False, "affinity_denied"), (self.service, None)):
            mailing = self._email_mailing(domain=[("id", "in", people.ids)])
            mailing.affinity_purpose_id = purpose
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
            traces = self._traces(mailing)
            with self.subTest(purpose=purpose and purpose.code):
                if expected:
                    self.assertEqual(traces[withdrew.id], ("cancel", expected))
                    self.assertEqual(traces[listed.id], ("cancel", "affinity_denied"))
                else:
                    self.assertNotEqual(traces[withdrew.id][0], "cancel")
                    self.assertEqual(traces[listed.id], ("cancel", "affinity_blacklisted"))

    def test_a_service_mailing_keeps_blacklisted_addresses_among_its_recipients(self):
        """Odoo's default recipients leave blacklisted addresses out; a service mailing's keep them at the send,
        which tells a mirrored marketing "no" from a person's own blacklisting (see above)."""
        withdrew = self.Partner.create(
            {"name": "Withdrew", "email": "withdrew@example.com", "mobile": "+90 532 100 00 09"}
        )
        withdrew._affinity_set_consent("sms", "marketing", "denied", source="preference_centre")
        withdrew._affinity_set_consent("email", "marketing", "denied", source="preference_centre")
        self.assertTrue(withdrew.phone_sanitized_blacklisted and withdrew.is_blacklisted)
        # Odoo reads its blacklists in SQL when it searches the recipients.
        self.env.flush_all()
        for mailing_type in ("sms", "mail"):
            values = {
                "subject": "Your order",
                "body_plaintext": "Your order is ready",
                "body_html": "<p>Your order is ready</p>",
                "mailing_type": mailing_type,
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
            marketing = self.env["mailing.mailing"].create(values)
            service = self.env["mailing.mailing"].create(dict(values, affinity_purpose_id=self.service.id))
            with self.subTest(mailing_type=mailing_type):
                self.assertEqual(service.mailing_domain, marketing.mailing_domain, "the domain as set")
                self.assertNotIn(withdrew.id, marketing._get_recipients())
                self.assertIn(withdrew.id, service._get_recipients())

    def test_sms_preference_link_is_short(self):
        """The preference link of a marketing SMS is one of Odoo's short links (link_tracker), as core SMS
        mailings shorten theirs, so that text and link fit one SMS (160 GSM-7 characters)."""
        mailing = self._sms_mailing(
            self.granted | self.unasked, body="Autumn offers: 20% off everything in our shop until Sunday."
        )
        mailing.action_send_sms()
        sms = self.env["sms.sms"].search(
            [("mailing_id", "=", mailing.id), ("partner_id", "=", self.granted.id)]
        )
        base = sms.get_base_url()
        self.assertNotIn("/affinity/preferences/", sms.body)
        short = re.search(re.escape(base) + r"/r/(\w+)/s/(\d+)", sms.body)
        self.assertTrue(short, sms.body)
        self.assertEqual(int(short.group(2)), sms.id, "the click is counted on this SMS's trace")
        self.assertLessEqual(len(sms.body), 160, sms.body)
        tracker = self.env["link.tracker.code"].search([("code", "=", short.group(1))]).link_id
        self.assertEqual(tracker.mass_mailing_id, mailing)
        token = tracker.url.rsplit("/", 1)[1]
        partner, error = self.env["affinity.preference.centre"]._partner_of_token(token)
        self.assertEqual((partner, error), (self.granted, None), "the short link opens the person's own page")
        other = self.env["sms.sms"].search(
            [("mailing_id", "=", mailing.id), ("partner_id", "=", self.unasked.id)]
        )
        self.assertNotEqual(re.search(r"/r/(\w+)", other.body).group(1), short.group(1), "a link per person")
