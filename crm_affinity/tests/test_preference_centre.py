"""The preference centre, double opt-in and capture, driven through their real routes."""

import datetime
import json
import re

from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import AffinityCase, confirm_from_sms


@tagged("post_install", "-at_install")
class TestPreferenceCentre(HttpCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {"affinity_consent_mode": "opt_in", "affinity_double_optin": True, "email": "info@example.com"}
        )
        cls.ayse = cls.env["res.partner"].create(
            {"name": "Ayşe Tercih", "email": "ayse.tercih@example.com", "mobile": "+90 532 777 00 11"}
        )
        cls.bora = cls.env["res.partner"].create({"name": "Bora Başka", "email": "bora@example.com"})
        cls.centre = cls.env["affinity.preference.centre"]
        cls.email = cls.env.ref("crm_affinity.affinity_channel_email")
        cls.sms = cls.env.ref("crm_affinity.affinity_channel_sms")
        cls.marketing = cls.env.ref("crm_affinity.affinity_purpose_marketing")

    def decision(self, partner, channel="sms", purpose="marketing"):
        return partner._affinity_contact_decision(channel, purpose, check_window=False)[partner.id]

    def token_path(self, partner):
        return self.centre._link(partner).split(partner.get_base_url(), 1)[1]

    def page(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        return response.text

    def csrf(self, html):
        return re.search(r'csrf_token: "([^"]+)"', html).group(1)

    def save(self, path, turn_on=(), turn_off=(), do_not_contact=None):
        """Post the page's own form back as a browser does: what is checked, changed by the person."""
        html = self.page(path)
        checked = set(re.findall(r'name="offer_(\d+_\d+)"\s+checked', html))
        keys = (checked | set(turn_on)) - set(turn_off)
        data = {
            "csrf_token": self.csrf(html),
            "text_id": re.search(r'name="text_id" value="(\d+)"', html).group(1),
        }
        data.update({f"offer_{key}": "on" for key in keys})
        if do_not_contact or (do_not_contact is None and 'id="do_not_contact" checked' in html):
            data["do_not_contact"] = "on"
        response = self.url_open(path, data=data, headers={"User-Agent": "TestBrowser/1.0"})
        self.assertEqual(response.status_code, 200)
        return response.text

    def logs(self, partner):
        return self.env["affinity.consent.log"].search([("partner_id", "=", partner.id)])

    def key(self, channel, purpose=None):
        return f"{channel.id}_{(purpose or self.marketing).id}"

    def test_link_opens_the_persons_own_preferences(self):
        html = self.page(self.token_path(self.ayse))
        self.assertIn("Ayşe Tercih", html)
        self.assertNotIn("Bora", html)
        self.assertIn(f'name="offer_{self.key(self.sms)}"', html)
        self.assertNotIn("affinity_channel_visit", html)

    def test_grant_sms_and_withdraw_with_proof(self):
        path = self.token_path(self.ayse)
        self.save(path, turn_on=[self.key(self.sms)])
        # Under double opt-in the number confirms itself: the SMS to it carries the link.
        self.assertEqual(self.decision(self.ayse).reason, "pending_confirmation")
        self.assertEqual(len(self.logs(self.ayse)), 1, "only what the person changed is recorded")
        log = self.logs(self.ayse)
        self.assertEqual((log.source, log.new_state), ("preference_centre", "pending"))
        self.assertEqual(log.ip_address, "127.0.0.1")
        self.assertEqual(log.user_agent, "TestBrowser/1.0")
        self.assertIn("Your communication preferences", log.text_id.body)
        self.assertEqual(log.text_hash, self.env["affinity.consent.text"]._hash(log.text_id.body))
        self.assertIn("subscription is confirmed", confirm_from_sms(self, self.ayse))
        self.assertTrue(self.decision(self.ayse).allowed)
        # Withdrawal takes effect at once.
        self.save(path, turn_off=[self.key(self.sms)])
        self.assertEqual(self.decision(self.ayse).reason, "denied")

    def test_greetings_switch_is_honest_and_logged(self):
        """Where greetings need marketing consent (IYS), the greetings switch shows whether greetings go out,
        never turns on against what the person left off, and every move of it has a history row."""
        self.company.affinity_relationship_commercial = True
        # The switches themselves, without the number's double opt-in (its own tests are above and below).
        self.company.affinity_double_optin = False
        greetings = self.env.ref("crm_affinity.affinity_purpose_relationship")
        path = self.token_path(self.ayse)
        sms_greetings = self.key(self.sms, greetings)
        switched_on = rf'name="offer_{sms_greetings}"\s+checked'

        def greeting_logs():
            return self.logs(self.ayse).filtered(lambda log: log.purpose_id == greetings)

        html = self.page(path)
        self.assertNotRegex(html, switched_on, "nothing granted: greetings off")
        self.assertIn("only while its marketing permission is on", html)
        # Marketing on, greetings left off as the page showed them: they stay off, in the person's word.
        self.save(path, turn_on=[self.key(self.sms)])
        self.assertTrue(self.decision(self.ayse).allowed)
        self.assertFalse(self.decision(self.ayse, "sms", "relationship").allowed)
        self.assertNotRegex(self.page(path), switched_on)
        self.assertEqual(greeting_logs().mapped("new_state"), ["denied"])
        self.assertEqual(greeting_logs().source, "preference_centre")
        # Greetings on; then marketing off with the greetings switch left on: they stop, and say why.
        self.save(path, turn_on=[sms_greetings])
        self.assertTrue(self.decision(self.ayse, "sms", "relationship").allowed)
        self.assertRegex(self.page(path), switched_on)
        self.save(path, turn_off=[self.key(self.sms)])
        self.assertFalse(self.decision(self.ayse, "sms", "relationship").allowed)
        self.assertNotRegex(self.page(path), switched_on, "a switch shows what goes out")
        stop = greeting_logs()[0]
        self.assertIn("stop with the marketing consent", stop.note)
        self.assertEqual((stop.channel_id, stop.ip_address), (self.sms, "127.0.0.1"))
        # Marketing on again from the page: the greetings the person granted go out again, said so.
        self.save(path, turn_on=[self.key(self.sms), sms_greetings])
        self.assertTrue(self.decision(self.ayse, "sms", "relationship").allowed)
        self.assertIn("go out with the marketing consent", greeting_logs()[0].note)
        # Outside the page too: marketing recorded by staff brings the greetings along, with a row.
        self.bora._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.assertTrue(self.decision(self.bora, "email", "relationship").allowed)
        row = self.logs(self.bora).filtered(lambda log: log.purpose_id == greetings)
        self.assertEqual((row.channel_id, row.source), (self.email, "paper"))
        self.assertIn("go out with the marketing consent", row.note)

    def test_email_grant_waits_for_confirmation(self):
        with freeze_time("2026-12-01 10:00:00"):
            self.save(self.token_path(self.ayse), turn_on=[self.key(self.email)])
            consent = self.env["affinity.consent"]._of(self.ayse, self.email, self.marketing)
            self.assertEqual(consent.state, "pending")
            self.assertEqual(self.decision(self.ayse, "email").reason, "pending_confirmation")
            mail = self.env["mail.mail"].search([("email_to", "ilike", "ayse.tercih@example.com")])[-1:]
            link = re.search(r'href="[^"]*(/affinity/confirm/[^"]+)"', mail.body_html).group(1)
            # Opening the link changes nothing (mail scanners open links); pressing the button confirms.
            self.assertIn("Yes, I confirm", self.page(link))
            self.assertEqual(consent.state, "pending")
            html = self.page(link)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            done = self.url_open(link, data={"csrf_token": csrf}).text
            self.assertIn("subscription is confirmed", done)
        self.assertEqual(consent.state, "granted")
        self.assertEqual(self.logs(self.ayse)[0].source, "confirmation")
        self.assertTrue(self.decision(self.ayse, "email").allowed)
        # A reused link is recognised, and changes nothing.
        with freeze_time("2026-12-01 11:00:00"):
            html = self.page(self.token_path(self.ayse))
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            again = self.url_open(link, data={"csrf_token": csrf}).text
        self.assertIn("Already confirmed", again)
        self.assertEqual(len(self.logs(self.ayse)), 2)

    def test_unconfirmed_grant_lapses_back(self):
        self.ayse._affinity_set_consent("email", "marketing", "denied", source="paper")
        with freeze_time("2026-12-01 10:00:00"):
            self.centre._apply(self.ayse, {self.key(self.email)}, False, {"ip_address": "10.0.0.1"})
            consent = self.env["affinity.consent"]._of(self.ayse, self.email, self.marketing)
            self.assertEqual((consent.state, consent.pending_from_state), ("pending", "denied"))
        with freeze_time("2026-12-08 09:00:00"):
            self.env.ref("crm_affinity.ir_cron_affinity_optin_expiry").method_direct_trigger()
            self.assertEqual(consent.state, "pending", "seven days are not over yet")
        with freeze_time("2026-12-08 11:00:00"):
            self.env.ref("crm_affinity.ir_cron_affinity_optin_expiry").method_direct_trigger()
        self.assertEqual(consent.state, "denied", "back to what it was, not to 'not asked'")
        self.assertEqual(self.logs(self.ayse)[0].note, "Confirmation not received in time")

    def test_bad_tokens_change_nothing(self):
        path = self.token_path(self.ayse)
        subject, expiry, signature = path.rsplit("/", 1)[1].split(".")
        tampered = f"/affinity/preferences/{self.bora.id}.{expiry}.{signature}"
        for bad in (tampered, "/affinity/preferences/garbage", "/affinity/preferences/99999999999.1.ab"):
            response = self.url_open(bad)
            self.assertEqual(response.status_code, 404)
            self.assertIn("This link is not valid", response.text)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(days=91)):
            response = self.url_open(path)
            self.assertEqual(response.status_code, 410)
            html = response.text
            self.assertIn("This link has expired", html)
            response = self.url_open(
                path, data={f"offer_{self.key(self.sms)}": "on", "csrf_token": self.csrf(html)}
            )
            self.assertIn("This link has expired", response.text)
        self.assertFalse(self.bora.affinity_consent_ids | self.ayse.affinity_consent_ids)
        self.assertIn("preview", self.page("/affinity_preferences"))

    def test_a_post_without_the_page_token_is_refused(self):
        path = self.token_path(self.ayse)
        with mute_logger("odoo.http"):
            response = self.url_open(path, data={f"offer_{self.key(self.sms)}": "on"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.ayse.affinity_consent_ids)

    def test_do_not_contact_from_the_page(self):
        self.save(self.token_path(self.ayse), do_not_contact=True)
        self.assertTrue(self.ayse.affinity_do_not_contact)
        self.assertEqual(self.decision(self.ayse, "email", "service").reason, "do_not_contact")
        self.assertEqual(self.logs(self.ayse).mapped("note"), ["Do not contact switched on"])

    def test_confirmation_obeys_the_decision(self):
        """The confirmation mail is a message too: someone who asked not to be contacted gets none."""
        self.ayse.affinity_do_not_contact = True
        mails = self.env["mail.mail"].search([("email_to", "ilike", "ayse.tercih@example.com")])
        self.centre._apply(self.ayse, {self.key(self.email)}, True, {"ip_address": "10.0.0.2"})
        self.assertEqual(
            self.env["affinity.consent"]._of(self.ayse, self.email, self.marketing).state, "pending"
        )
        self.assertEqual(
            self.env["mail.mail"].search([("email_to", "ilike", "ayse.tercih@example.com")]), mails
        )
        # Lifting do not contact in the same save lets the confirmation go.
        self.bora.affinity_do_not_contact = True
        self.centre._apply(self.bora, {self.key(self.email)}, False, {"ip_address": "10.0.0.3"})
        self.assertTrue(self.env["mail.mail"].search([("email_to", "ilike", "bora@example.com")]))

    def test_portal_my_account(self):
        portal = new_test_user(self.env, "pref_portal", groups="base.group_portal", email="p@example.com")
        portal.partner_id.mobile = "+90 533 000 11 22"
        self.authenticate("pref_portal", "pref_portal")
        self.assertIn("/my/affinity/preferences", self.page("/my"))
        html = self.save("/my/affinity/preferences", turn_on=[self.key(self.sms)])
        self.assertIn("Your choices are saved", html)
        self.assertFalse(
            self.decision(portal.partner_id).allowed, "the number typed on an account confirms first"
        )
        confirm_from_sms(self, portal.partner_id)
        self.assertTrue(self.decision(portal.partner_id).allowed)

    def test_mass_mailing_carries_the_personal_link(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Kış kampanyası",
                "subject": "Kış",
                "body_html": "<p>Merhaba</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "=", self.bora.id)],
            }
        )
        self.bora._affinity_set_consent("email", "marketing", "granted", source="paper")
        with self.mock_mail_gateway():
            mailing.action_send_mail()
        body = self._mails[0]["body"]
        link = re.search(r'href="[^"]*(/affinity/preferences/[^"]+)"', body).group(1)
        partner, error = self.centre._partner_of_token(link.rsplit("/", 1)[1])
        self.assertEqual((partner, error), (self.bora, None))


@tagged("post_install", "-at_install")
class TestConsentCapture(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.write(
            {
                "affinity_consent_mode": "opt_in",
                "affinity_double_optin": True,
                "country_id": cls.env.ref("base.tr").id,
            }
        )
        cls.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_ip", 5)
        cls.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_address", 2)

    def post(self, payload, raw=None):
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/affinity/consent/capture",
                data=raw if raw is not None else json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        return response.status_code, response.json()

    def payload(self, email, **extra):
        return dict(
            {
                "email": email,
                "name": "Form Person",
                "text": "Kampanyalardan SMS ile haberdar olmak istiyorum.",
                "consents": [{"channel": "sms", "purpose": "marketing", "state": "granted"}],
                "phone": "0532 888 11 22",
            },
            **extra,
        )

    def test_capture_records_with_proof(self):
        status, body = self.post(self.payload("form.person@example.com"))
        self.assertEqual(status, 200, body)
        # A grant from a public form waits for the person: the SMS to their number carries the link.
        self.assertEqual(body["consents"], [{"channel": "sms", "purpose": "marketing", "state": "pending"}])
        partner = self.env["res.partner"].search([("email_normalized", "=", "form.person@example.com")])
        log = partner.affinity_consent_log_ids
        self.assertEqual((log.source, log.ip_address, log.new_state), ("capture", "127.0.0.1", "pending"))
        sms = self.env["sms.sms"].search([("partner_id", "=", partner.id)])
        self.assertEqual(sms.number, "+905328881122")
        self.assertIn("/affinity/confirm/", sms.body)
        self.assertEqual(log.text_id.body, "Kampanyalardan SMS ile haberdar olmak istiyorum.")
        self.assertEqual(log.text_id.kind, "capture")
        # The same person found again by the phone rule, whatever the prefix.
        status, body = self.post(
            dict(
                self.payload(""),
                email="",
                phone="+90 (532) 888 11 22",
                consents=[{"channel": "sms", "purpose": "marketing", "state": "denied"}],
            )
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(
            partner._affinity_contact_decision("sms", "marketing", check_window=False)[partner.id].reason,
            "denied",
        )

    def test_email_capture_is_pending(self):
        payload = self.payload("pending.person@example.com")
        payload["consents"] = [{"channel": "email", "purpose": "marketing", "state": "granted"}]
        status, body = self.post(payload)
        self.assertEqual((status, body["consents"][0]["state"]), (200, "pending"))

    def test_bad_input(self):
        self.assertEqual(self.post(None, raw="{not json")[0], 400)
        status, body = self.post(self.payload("x@example.com", consents=[{"channel": "pigeon"}]))
        self.assertEqual(status, 400)
        self.assertIn("Consent line 1", body["error"])
        status, body = self.post(
            self.payload(
                "x@example.com", consents=[{"channel": "pigeon", "purpose": "marketing", "state": "granted"}]
            )
        )
        self.assertIn("Unknown channel 'pigeon'", body["error"])
        status, body = self.post(self.payload("x@example.com", text=""))
        self.assertIn("exact words", body["error"])
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", "x@example.com")]))

    def test_honeypot_records_nothing(self):
        status, body = self.post(self.payload("robot@example.com", website="http://spam.example"))
        # The same answer as for a person, so a robot learns nothing.
        self.assertEqual(
            (status, body),
            (200, {"ok": True, "consents": [{"channel": "sms", "purpose": "marketing", "state": "pending"}]}),
        )
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", "robot@example.com")]))

    def test_flood_is_refused_without_losing_the_first(self):
        results = [
            self.post(self.payload(f"flood{i}@example.com", phone=f"0532 888 11 2{i}"))[0] for i in range(7)
        ]
        self.assertEqual(results, [200] * 5 + [429] * 2)
        kept = self.env["res.partner"].search([("email", "like", "flood%@example.com")])
        self.assertEqual(len(kept), 5, "the legitimate posts before the limit are all kept")

    def test_address_limit(self):
        self.env["affinity.capture.attempt"].search([]).unlink()
        codes = [self.post(self.payload("same@example.com"))[0] for _i in range(3)]
        self.assertEqual(codes, [200, 200, 429])


@tagged("post_install", "-at_install")
class TestPreferenceAccess(AffinityCase):
    """Who may see the proof texts and the capture log, and who may hand out a person's link."""

    def test_texts_are_proof_and_readable(self):
        text = self.env["affinity.consent.text"]._keep("Kampanyalardan haberdar olmak istiyorum.", "capture")
        self.assertEqual(text, self.env["affinity.consent.text"]._keep(text.body, "capture"), "kept once")
        self.assertEqual(text.with_user(self.user_plain).body, text.body)
        with self.assertRaises(AccessError):
            self.env["affinity.consent.text"].with_user(self.user_affinity).create(
                {"text_hash": "x", "body": "x", "kind": "capture"}
            )
        with self.assertRaises(UserError):
            text.sudo().write({"body": "Another text"})
        with self.assertRaises(UserError):
            text.sudo().unlink()

    def test_capture_log_is_for_administrators(self):
        attempt = self.env["affinity.capture.attempt"].create({"ip_address": "127.0.0.9", "address": "a@b.c"})
        for user in (self.user_plain, self.user_affinity, self.user_portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                attempt.with_user(user).read(["ip_address"])
        self.assertEqual(attempt.with_user(self.user_manager).ip_address, "127.0.0.9")

    def test_preference_link_only_for_affinity_users(self):
        with self.assertRaises(AccessError):
            self.partner.with_user(self.user_plain).action_affinity_copy_preference_link()
        action = self.partner.with_user(self.user_affinity).action_affinity_copy_preference_link()
        token = action["params"]["message"].rsplit("/", 1)[1]
        self.assertEqual(
            self.env["affinity.preference.centre"]._partner_of_token(token), (self.partner, None)
        )

    def test_matrix_shows_the_decision_with_its_reason(self):
        self.env.company.affinity_consent_mode = "opt_in"
        self.partner._affinity_set_consent("sms", "marketing", "denied")
        matrix = self.partner.with_user(self.user_plain).affinity_decision_matrix
        row = re.search(r"<tr><th>SMS</th>(.*?)</tr>", matrix).group(1)
        self.assertIn('text-danger">No<br/><small class="text-muted">consent denied', row)
