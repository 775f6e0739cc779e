"""The doors reachable without login, tried as an attacker tries them (SECURITY.md lists each case)."""

import json
import re

from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.sms.tests.common import MockSMS
from odoo.tests import HttpCase, new_test_user, tagged

from .common import JsonRpcMixin, confirm_from_sms

TEXT = "Kampanyalardan haberdar olmak istiyorum."


@tagged("post_install", "-at_install")
class DoorCase(MockSMS, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "affinity_consent_mode": "opt_in",
                "affinity_double_optin": True,
                "email": "info@firma.example",
                "country_id": cls.env.ref("base.tr").id,
            }
        )
        cls.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_ip", 1000)
        cls.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_address", 1000)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Deniz Müşteri", "email": "deniz@example.com", "mobile": "+90 532 600 00 01"}
        )
        cls.email = cls.env.ref("crm_affinity.affinity_channel_email")
        cls.sms = cls.env.ref("crm_affinity.affinity_channel_sms")
        cls.whatsapp = cls.env.ref("crm_affinity.affinity_channel_whatsapp")
        cls.marketing = cls.env.ref("crm_affinity.affinity_purpose_marketing")
        cls.centre = cls.env["affinity.preference.centre"]

    def post(self, payload=None, raw=None, headers=None):
        data = raw if raw is not None else json.dumps(payload)
        response = self.url_open(
            "/affinity/consent/capture",
            data=data,
            headers=dict({"Content-Type": "application/json"}, **(headers or {})),
        )
        return response.status_code, response.json()

    def payload(self, email="", phone="", consents=(("sms", "marketing", "granted"),), **extra):
        return dict(
            {
                "email": email,
                "phone": phone,
                "name": "Form",
                "text": TEXT,
                "consents": [{"channel": c, "purpose": p, "state": s} for c, p, s in consents],
            },
            **extra,
        )

    def consent(self, partner, channel, purpose=None):
        return self.env["affinity.consent"]._of(partner, channel, purpose or self.marketing)

    def decision(self, partner, channel, purpose="marketing"):
        return partner._affinity_contact_decision(channel, purpose, check_window=False)[partner.id]

    def counts(self):
        """What a post could write, counted."""
        self.env.flush_all()
        return {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in (
                "res.partner",
                "affinity.consent",
                "affinity.consent.log",
                "affinity.consent.text",
                "mail.mail",
                "sms.sms",
            )
        }


@tagged("post_install", "-at_install")
class TestCaptureDoor(DoorCase):
    def test_1_a_stranger_cannot_grant_an_existing_customers_sms(self):
        self.customer._affinity_set_consent("sms", "marketing", "denied", source="paper")
        with self.mockSMSGateway():
            status, body = self.post(self.payload(self.customer.email, phone="+90 555 999 99 99"))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["consents"], [{"channel": "sms", "purpose": "marketing", "state": "pending"}])
        self.assertNotEqual(self.consent(self.customer, self.sms).state, "granted")
        self.assertFalse(self.decision(self.customer, "sms").allowed)
        # The confirmation goes to the number the customer gave us, never to the poster's.
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(sms.mapped("number"), ["+905326000001"])
        self.assertIn("/affinity/confirm/", sms.body)
        # Only the person, pressing the button of that link, turns it into a grant.
        self.assertIn("subscription is confirmed", confirm_from_sms(self, self.customer))
        self.assertTrue(self.decision(self.customer, "sms").allowed)

    def test_1_a_mobile_number_alone_grants_no_whatsapp(self):
        status, body = self.post(
            self.payload(phone="0532 600 00 01", consents=[("whatsapp", "marketing", "granted")])
        )
        self.assertEqual((status, body["consents"][0]["state"]), (200, "pending"))
        self.assertFalse(self.decision(self.customer, "whatsapp").allowed)
        self.assertNotEqual(self.consent(self.customer, self.whatsapp).state, "granted")

    def test_2_a_stranger_cannot_suspend_a_grant(self):
        self.customer._affinity_set_consent("email", "marketing", "granted", source="paper")
        before = self.counts()
        status, body = self.post(
            self.payload(self.customer.email, consents=[("email", "marketing", "granted")])
        )
        self.assertEqual((status, body["consents"][0]["state"]), (200, "pending"))
        self.assertEqual(self.consent(self.customer, self.email).state, "granted")
        self.assertTrue(self.decision(self.customer, "email").allowed)
        after = self.counts()
        self.assertEqual(
            (after["mail.mail"], after["affinity.consent.log"]),
            (before["mail.mail"], before["affinity.consent.log"]),
            "no mail to the customer, no history row",
        )

    def test_3_the_answer_never_tells_who_is_a_customer(self):
        other = self.env["res.company"].create({"name": "İkinci Şirket", "affinity_double_optin": False})
        self.env["res.partner"].create(
            {"name": "Known Two", "email": "known2@example.com", "company_id": other.id}
        )
        self.customer._affinity_set_consent("email", "marketing", "granted", source="paper")
        lines = [
            ("email", "marketing", "granted"),
            ("sms", "marketing", "granted"),
            ("sms", "service", "denied"),
        ]
        answers = {
            address: self.post(self.payload(address, phone="0532 100 00 00", consents=lines))
            for address in ("deniz@example.com", "known2@example.com", "nobody.yet@example.com")
        }
        self.assertEqual(len({json.dumps(answer, sort_keys=True) for answer in answers.values()}), 1, answers)

    def test_4_confirmation_links_are_checked_before_anything_shows(self):
        consent, _sent = self.centre._request_confirmation(
            self.customer, self.email, self.marketing, "preference_centre", {}
        )
        pages = [
            self.url_open(f"/affinity/confirm/{consent.id}.1.deadbeef"),
            self.url_open(f"/affinity/confirm/{consent.id + 1000}.1.deadbeef"),
            self.url_open(f"/affinity/confirm/{consent.id}.{9999999999}.{'0' * 64}"),
            self.url_open("/affinity/confirm/99999999999999999999.1.ab"),
            self.url_open("/affinity/confirm/²³.1.ab"),
        ]
        for page in pages:
            self.assertEqual(page.status_code, 404)
            self.assertIn("This link is not valid", page.text)
            for leak in ("Confirm your subscription", "Yes, I confirm", "Marketing", "E-mail —"):
                self.assertNotIn(leak, page.text)
        self.assertEqual(consent.state, "pending")

    def test_4_a_used_link_shows_no_button(self):
        consent, _sent = self.centre._request_confirmation(
            self.customer, self.email, self.marketing, "preference_centre", {}
        )
        link = self.centre._confirm_link(consent).split(self.customer.get_base_url(), 1)[1]
        self.assertIn("Yes, I confirm", self.url_open(link).text)
        self.assertEqual(self.centre._confirm(link.rsplit("/", 1)[1], {})[1], None)
        page = self.url_open(link)
        self.assertIn("Already confirmed", page.text)
        self.assertNotIn("Yes, I confirm", page.text)

    def test_5_malformed_input_answers_400_naming_the_field_and_writes_nothing(self):
        before = self.counts()
        cases = [
            ("[" * 60000, "body"),
            ("{" * 30000, "body"),
            (json.dumps(self.payload(12345)), "email"),
            (json.dumps(self.payload(["deniz@example.com"])), "email"),
            (json.dumps(self.payload("x@example.com", lang=["en_US"])), "lang"),
            (json.dumps(self.payload("x@example.com", name=7)), "name"),
            (json.dumps(self.payload("x@example.com", phone={"a": 1})), "phone"),
            (json.dumps(self.payload("x@example.com", text=None)), "text"),
            (json.dumps(dict(self.payload("x@example.com"), consents={"sms": 1})), "consents"),
            (json.dumps(dict(self.payload("x@example.com"), consents=[["sms"]])), "consents"),
            (
                json.dumps(self.payload("x@example.com", consents=[("sms", "marketing", "denied")] * 2)),
                "consents",
            ),
            (json.dumps(self.payload("x@example.com", consents=[(7, "marketing", "granted")])), "consents"),
            (json.dumps("just a string"), "body"),
            ("1" * 5000, "body"),
            ("\xff\xfe garbage", "body"),
        ]
        for raw, field in cases:
            status, body = self.post(raw=raw)
            self.assertEqual((status, body.get("field")), (400, field), raw[:80])
            self.assertTrue(body["error"])
        status, body = self.post(raw="[" * 200000)
        self.assertEqual((status, body["field"]), (413, "body"))
        self.assertEqual(self.counts(), before)

    def test_5_a_bad_text_id_on_the_preference_page_answers_400(self):
        path = self.centre._link(self.customer).split(self.customer.get_base_url(), 1)[1]
        html = self.url_open(path).text
        csrf = re.search(r'csrf_token: "([^"]+)"', html).group(1)
        before = self.counts()
        for text_id in ("abc", "1e3", "-1", "9" * 40, "１２"):
            response = self.url_open(
                path, data={"csrf_token": csrf, "text_id": text_id, "do_not_contact": "on"}
            )
            self.assertEqual(response.status_code, 400, text_id)
        self.assertEqual(self.counts(), before)
        self.assertFalse(self.customer.affinity_do_not_contact)

    def test_6_every_field_is_bounded(self):
        before = self.counts()
        for field, value in (
            ("text", "x" * (2 * 1024 * 1024)),
            ("text", "ş" * 10001),
            ("name", "n" * 129),
            ("email", "a" * 250 + "@example.com"),
        ):
            status, body = self.post(dict(self.payload("bounded@example.com"), **{field: value}))
            self.assertIn(status, (400, 413), field)
            self.assertIn(body["field"], (field, "body"))
        self.assertEqual(self.counts(), before)
        status, _body = self.post(
            self.payload("bounded@example.com", phone="0532 100 00 00", text="ş" * 10000)
        )
        self.assertEqual(status, 200, "the documented maximum is accepted")

    def test_10_an_anonymous_withdrawal_is_applied_and_said_to_be_unverified(self):
        self.customer._affinity_set_consent("sms", "marketing", "granted", source="paper")
        status, body = self.post(self.payload(self.customer.email, consents=[("sms", "marketing", "denied")]))
        self.assertEqual((status, body["consents"][0]["state"]), (200, "denied"))
        self.assertEqual(self.decision(self.customer, "sms").reason, "denied")
        log = self.consent(self.customer, self.sms).log_ids.sorted("id")[-1]
        self.assertEqual((log.new_state, log.source, log.unverified), ("denied", "capture", True))
        self.assertIn("Unverified", log.note)

    def test_a_forged_forwarded_for_does_not_reset_the_limit(self):
        self.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_ip", 3)
        statuses = [
            self.post(
                self.payload(f"xff{i}@example.com", phone=f"0532 100 00 0{i}"),
                headers={"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"203.0.113.{i}"},
            )[0]
            for i in range(5)
        ]
        self.assertEqual(statuses, [200, 200, 200, 429, 429])

    def test_another_accounts_grant_never_reopens_a_refused_number(self):
        """Someone who types a customer's number on their own record and grants SMS there (portal, RPC,
        preference page) neither lifts the blacklist the customer's "no" put on it nor erases that "no"."""
        self.customer._affinity_set_consent("sms", "marketing", "denied", source="preference_centre")
        mallory = self.env["res.partner"].create({"name": "Mallory", "mobile": "0532 600 00 01"})
        mallory._affinity_set_consent("sms", "marketing", "granted", source="web_form")
        self.assertEqual(self.consent(self.customer, self.sms).state, "denied")
        self.assertEqual(self.decision(self.customer, "sms").reason, "denied")
        self.assertEqual(self.decision(mallory, "sms").reason, "blacklisted", "the line stays closed")
        # The customer's own newer word does reopen it.
        self.customer._affinity_set_consent("sms", "marketing", "granted", source="preference_centre")
        self.assertTrue(self.decision(self.customer, "sms").allowed)

    def test_an_unanswered_request_gives_an_expired_grant_back_expired(self):
        self.env["affinity.consent"].create(
            {
                "partner_id": self.customer.id,
                "channel_id": self.email.id,
                "purpose_id": self.marketing.id,
                "state": "granted",
                "date_given": "2024-01-01 10:00:00",
                "expiry_date": "2025-01-01",
            }
        )
        self.assertEqual(self.decision(self.customer, "email").reason, "expired")
        with freeze_time("2026-12-01 10:00:00"):
            status, _body = self.post(
                self.payload(self.customer.email, consents=[("email", "marketing", "granted")])
            )
            self.assertEqual(status, 200)
            self.assertEqual(self.consent(self.customer, self.email).state, "pending")
        with freeze_time("2026-12-09 10:00:00"):
            self.env.ref("crm_affinity.ir_cron_affinity_optin_expiry").method_direct_trigger()
        consent = self.consent(self.customer, self.email)
        self.assertEqual((consent.state, str(consent.expiry_date)), ("granted", "2025-01-01"))
        self.assertEqual(self.decision(self.customer, "email").reason, "expired")

    def test_a_captured_person_is_reached_for_nothing_commercial_before_confirming(self):
        self.company.affinity_consent_mode = "opt_out"
        status, _body = self.post(
            self.payload(
                "stranger@example.net", phone="0541 600 00 01", consents=[("post", "relationship", "denied")]
            )
        )
        self.assertEqual(status, 200)
        stranger = self.env["res.partner"].search([("email", "=", "stranger@example.net")])
        for channel in ("email", "sms", "phone", "whatsapp"):
            self.assertEqual(self.decision(stranger, channel).reason, "pending_confirmation", channel)
        self.assertTrue(self.decision(stranger, "email", "service").allowed, "the confirmation itself may go")

    def test_text_postgresql_cannot_store_answers_400(self):
        before = self.counts()
        for field in ("name", "text", "email", "phone"):
            for bad in ("x\x00y", "x\ud800y"):
                payload = dict(self.payload("nul@example.com", phone="0532 100 00 00"), **{field: bad})
                raw = json.dumps(payload)  # escapes both, as a client's JSON does
                status, body = self.post(raw=raw)
                self.assertEqual((status, body["field"]), (400, field), (field, bad))
        line = [{"channel": "s\x00ms", "purpose": "marketing", "state": "denied"}]
        status, body = self.post(dict(self.payload("nul@example.com"), consents=line))
        self.assertEqual((status, body["field"]), (400, "consents"))
        for raw in (
            "\ufeff" + json.dumps(self.payload("bom@example.com")),
            json.dumps(self.payload("u16@example.com")),
        ):
            encoding = "utf-8" if raw.startswith("\ufeff") else "utf-16"
            status, body = self.post(raw=raw.encode(encoding))
            self.assertEqual((status, body["field"]), (400, "body"), encoding)
        self.assertEqual(self.counts(), before)
        path = self.centre._link(self.customer).split(self.customer.get_base_url(), 1)[1]
        html = self.url_open(path).text
        csrf = re.search(r'csrf_token: "([^"]+)"', html).group(1)
        response = self.url_open(path, data={"csrf_token": csrf}, files={"text_id": ("a.txt", b"1")})
        self.assertEqual(response.status_code, 400)

    def test_withdrawals_are_never_refused_by_the_limits_on_a_person(self):
        self.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_address", 2)
        lines = [("sms", "marketing", "denied")]
        statuses = [self.post(self.payload(self.customer.email, consents=lines))[0] for _i in range(5)]
        self.assertEqual(statuses, [200] * 5)
        # Grants to one number, whatever the e-mail beside it: the number's limit holds.
        grants = [
            self.post(self.payload(f"g{i}@example.com", phone="+90 539 300 00 01"))[0] for i in range(4)
        ]
        self.assertEqual(grants, [200, 200, 429, 429])
        self.assertEqual(self.env["sms.sms"].search_count([("number", "=", "+905393000001")]), 2)

    def test_a_withdrawal_by_number_reaches_everyone_on_that_line(self):
        sibling = self.env["res.partner"].create({"name": "Kardeş", "mobile": "0532 600 00 01"})
        for partner in (self.customer, sibling):
            partner._affinity_set_consent("whatsapp", "marketing", "granted", source="paper")
        status, _body = self.post(
            self.payload(phone="0532 600 00 01", consents=[("whatsapp", "marketing", "denied")])
        )
        self.assertEqual(status, 200)
        for partner in (self.customer, sibling):
            self.assertEqual(self.decision(partner, "whatsapp").reason, "denied")

    def test_only_what_the_preference_centre_offers_can_be_asked_for(self):
        status, body = self.post(self.payload("v@example.com", consents=[("visit", "marketing", "denied")]))
        self.assertEqual((status, body["field"]), (400, "consents"))
        self.assertIn("Unknown channel 'visit'", body["error"])

    def test_a_phone_grant_needs_a_phone_in_the_post(self):
        status, body = self.post(
            self.payload("someone@example.com", consents=[("sms", "marketing", "granted")])
        )
        self.assertEqual((status, body["field"]), (400, "phone"))

    def test_captured_people_are_formatted_and_tidied_away_when_never_confirmed(self):
        with freeze_time("2026-12-01 10:00:00"):
            status, _body = self.post(
                self.payload("drifter@example.com", phone="0532 111 22 33", lang="tr_TR")
            )
            self.assertEqual(status, 200)
            status, _body = self.post(self.payload("buyer@example.com", phone="0532 111 22 44"))
        drifter, buyer = (
            self.env["res.partner"].search([("email", "=", address)])
            for address in ("drifter@example.com", "buyer@example.com")
        )
        self.assertTrue(drifter.affinity_captured)
        self.assertEqual(drifter.mobile, "+90 532 111 22 33", "stored as Odoo formats numbers")
        self.assertTrue(buyer.lang, "a captured person speaks a language")
        self.env["crm.lead"].create({"name": "Buyer's lead", "partner_id": buyer.id})
        cron = self.env.ref("crm_affinity.ir_cron_affinity_optin_expiry")
        with freeze_time("2026-12-05 10:00:00"):
            cron.method_direct_trigger()
        self.assertTrue(drifter.active, "the request is still open")
        with freeze_time("2026-12-09 10:00:00"):
            cron.method_direct_trigger()
        self.assertFalse(drifter.active, "never confirmed, used by nothing: archived")
        self.assertTrue(buyer.active, "a lead uses the contact")


@tagged("post_install", "-at_install")
class TestConfirmationSender(DoorCase):
    def test_11_the_confirmation_has_a_sender_or_the_page_says_none_left(self):
        path = self.centre._link(self.customer).split(self.customer.get_base_url(), 1)[1]
        key = f"offer_{self.email.id}_{self.marketing.id}"

        def save():
            html = self.url_open(path).text
            data = {"csrf_token": re.search(r'csrf_token: "([^"]+)"', html).group(1), key: "on"}
            data["text_id"] = re.search(r'name="text_id" value="(\d+)"', html).group(1)
            return self.url_open(path, data=data).text

        with self.mock_mail_gateway():
            page = save()
        self.assertIn("We sent you an e-mail", page)
        mail = self.env["mail.mail"].search([("email_to", "ilike", "deniz@example.com")], limit=1)
        self.assertIn("info@firma.example", mail.email_from)
        # No company address and no default sender: nothing in exception, and the page says so.
        self.consent(self.customer, self.email).unlink()
        self.company.write({"email": False})
        self.company.partner_id.email = False
        self.company.alias_domain_id = False
        self.env["ir.config_parameter"].set_param("mail.default.from", False)
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.affinity_optin_sender)
        mails = self.env["mail.mail"].search([])
        page = save()
        self.assertNotIn("We sent you an e-mail", page)
        self.assertIn("could not send you a confirmation", page)
        self.assertEqual(self.env["mail.mail"].search([]), mails)


@tagged("post_install", "-at_install")
class TestApiDoor(JsonRpcMixin, HttpCase):
    """Items 7 and 8: the RPC door keeps the states and the double opt-in the portal keeps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.write(
            {"affinity_consent_mode": "opt_in", "affinity_double_optin": True, "email": "info@firma.example"}
        )
        cls.portal = new_test_user(
            cls.env, "door_portal", groups="base.group_portal", email="door.p@example.com"
        )
        cls.integrator = new_test_user(
            cls.env, "door_api", groups="base.group_user,crm_affinity.group_affinity_user"
        )
        cls.admin_user = new_test_user(
            cls.env, "door_admin", groups="base.group_user,crm_affinity.group_affinity_manager"
        )
        cls.customer = cls.env["res.partner"].create({"name": "RPC Kişi", "email": "rpc.kisi@example.com"})

    def test_a_portal_user_learns_nothing_of_other_ids(self):
        errors = {
            self.rpc("door_portal", "affinity_check_contact", [pid], "email", "marketing")[1]
            for pid in (self.customer.id, 99999999, 2**40)
        }
        self.assertEqual(errors, {"A portal user may ask only about themself."})
        result, error = self.rpc(
            "door_portal",
            "affinity_record_consent",
            self.portal.partner_id.id,
            "visit",
            "marketing",
            "granted",
            "web_form",
        )
        self.assertIn("Unknown channel 'visit'", error)
        _result, error = self.rpc(
            "door_api", "affinity_check_contact", [self.customer.id], "s\x00ms", "marketing"
        )
        self.assertIn("Unknown channel", error)

    def test_7_pending_is_not_a_state_a_caller_records(self):
        result, error = self.rpc(
            "door_api", "affinity_record_consent", self.customer.id, "sms", "marketing", "pending", "paper"
        )
        self.assertIsNone(result)
        self.assertIn("Unknown consent state 'pending'", error)
        self.assertFalse(self.customer.affinity_consent_ids)

    def test_8_an_email_grant_over_rpc_waits_for_the_persons_confirmation(self):
        own = self.portal.partner_id.id
        result, error = self.rpc(
            "door_portal", "affinity_record_consent", own, "email", "marketing", "granted", "web_form"
        )
        self.assertFalse(error)
        self.assertEqual(result["state"], "pending")
        self.assertFalse(result["decision"]["allowed"])
        consent = self.env["affinity.consent"].search([("partner_id", "=", own)])
        self.assertTrue(consent.pending_until, "a request with a deadline, that lapses")
        # An integrator's grant waits too; a completed confirmation is an administrator's, with its proof.
        cases = [
            ("door_api", "paper", None, "pending"),
            ("door_api", "confirmation", {"ref": "DOI-42"}, "Only an Affinity administrator"),
            ("door_admin", "confirmation", None, "proof"),
            ("door_admin", "confirmation", {"ref": "DOI-42"}, "granted"),
        ]
        for login, source, proof, expected in cases:
            args = [self.customer.id, "email", "marketing", "granted", source] + ([proof] if proof else [])
            result, error = self.rpc(login, "affinity_record_consent", *args)
            with self.subTest(login=login, source=source):
                self.assertIn(expected, error or result["state"])
        self.assertTrue(result["decision"]["allowed"])
        # A grant of SMS (no double opt-in there) is recorded as given.
        result, error = self.rpc(
            "door_api", "affinity_record_consent", self.customer.id, "sms", "service", "granted", "paper"
        )
        self.assertEqual(result["state"], "granted")
