"""Which partner an IYS change is about, and changes IYS should never send (issue #35, third outside review).

Each case was first written by an outside reviewer as a failing test against the pull."""

import datetime
from unittest.mock import patch

from freezegun import freeze_time
from werkzeug.wrappers import Response

from odoo.tests import tagged

from ..tools.iys_client import IysClient
from .iys_standin import IysStandIn
from .test_iys import IysCase

LOGGER = "odoo.addons.crm_affinity.models.affinity_iys_account"


def change(recipient, status, consent_type="MESAJ", kind="BIREYSEL", when="2026-12-01 11:30:00", **extra):
    item = {"recipient": recipient, "type": consent_type, "status": status, "recipientType": kind}
    if when:
        item.update(consentDate=when, creationDate=when)
    item.update(extra)
    return item


@tagged("post_install", "-at_install")
class TestIysMatching(IysCase):
    def _registered(self, partner, channel="sms"):
        partner._affinity_set_consent(channel, "marketing", "granted", source="paper")
        self.push()
        self.push()
        self.assertEqual(self.consent(channel, partner).iys_status, "ONAY")

    def test_an_approval_is_for_the_partner_iys_knows_by_the_number(self):
        """IYS knows a partner by the mobile, else the phone (``_affinity_iys_recipient``): Elif's approval
        of her mobile never opens Mehmet, whose phone it is but whose SMS go to his own mobile."""
        husband = self.Partner.create(
            {"name": "Mehmet", "mobile": "+90 555 111 00 00", "phone": "+90 533 222 11 00"}
        )
        wife = self.Partner.create({"name": "Elif", "mobile": "+90 533 222 11 00"})
        self._registered(wife)
        self.pull()
        self.assertFalse(self.consent(partner=husband))
        self.assertNotEqual(self.decision(husband).reason, "granted")
        self.assertTrue(self.decision(wife).allowed)

    def test_a_refusal_reaches_the_active_partner_not_an_archived_one(self):
        old = self.Partner.create({"name": "Can (old)", "mobile": "+90 536 777 88 99"})
        new = self.Partner.create({"name": "Can", "mobile": "+90 536 777 88 99"})
        old.active = False
        self._registered(new, "phone")
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905367778899", "ARAMA", "RET")
        self.pull()
        self.assertEqual(self.consent("phone", new).iys_status, "RET")
        self.assertEqual(self.decision(new, "phone").reason, "denied")
        self.assertFalse(self.consent("phone", old.with_context(active_test=False)))

    def test_a_refusal_closes_the_number_for_every_person_holding_it(self):
        """A call has no blacklist to carry a RET to the others at a number: the RET reaches them all."""
        first = self.Partner.create(
            {"name": "Deniz", "phone": "0536 777 88 99", "country_id": self.env.ref("base.tr").id}
        )
        second = self.Partner.create({"name": "Deniz K.", "mobile": "+90 536 777 88 99"})
        self._registered(second, "phone")
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905367778899", "ARAMA", "RET")
        self.pull()
        self.assertEqual(self.consent("phone", first).iys_status, "RET")
        self.assertEqual(self.decision(first, "phone").reason, "denied")
        self.assertEqual(self.decision(second, "phone").reason, "denied")

    def test_a_change_without_any_moment_is_left_aside(self):
        """Neither consentDate nor creationDate: no moment to weigh it by, so it cannot outrank a citizen's
        RET given before the pull and served after it."""
        with freeze_time("2026-12-01 09:00:00"), self.assertLogs(LOGGER, "WARNING"):
            self.account._apply_changes([change("+905321112233", "ONAY", when=None, source="HS_WEB")], "IYS")
        self.assertFalse(self.consent())
        with freeze_time("2026-12-01 09:40:00"):
            self.account._apply_changes([change("+905321112233", "RET", when="2026-12-01 11:30:00")], "IYS")
        self.assertEqual(self.consent().state, "denied")

    def test_nul_in_any_field_is_left_aside(self):
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self.account._apply_changes([change("+905321112233", "RET", transactionId="T\x00")], "IYS")
            self.account._apply_changes([change("+905559990000", "RET", source="IYS\x00")], "IYS")
        self.assertEqual(len(logs.output), 2)
        self.assertFalse(self.consent())

    def _serving(self, source, body):
        serve = self.iys._changes

        def changes(args):
            if args.get("source") == source:
                return Response(body, status=200, content_type="application/json")
            return serve(args)

        return patch.object(self.iys, "_changes", changes)

    def test_an_empty_json_answer_of_the_citizens_changes_is_no_change(self):
        """source=IYS: "bu isteklere boş cevap dönülmektedir"; [] and null are as empty as nothing."""
        for body in ("[]", "null", ""):
            with self.subTest(body=body), self._serving("IYS", body):
                self.pull()
                self.assertFalse(self.account.last_error)

    def test_an_empty_answer_of_our_own_changes_is_an_error(self):
        """No page allows an empty answer for source=HS: it is IYS failing, shown, the cursor unmoved."""
        for body in ("", "[]", "null"):
            with self.subTest(body=body), self._serving("HS", body):
                self.pull()
                self.assertTrue(self.account.last_error)
                self.assertFalse(self.account.cursor_hs)

    def test_a_full_page_without_a_cursor_stops(self):
        self.account.pull_limit = 2
        asked = []

        def changes(client, source, after=None, limit=1000):
            asked.append(after)
            return {"list": [change("+905559990001", "ONAY"), change("+905559990002", "ONAY")]}

        with patch.object(IysClient, "changes", changes):
            self.pull()
        self.assertEqual(len(asked), 1, "one page asked, not the same page again")
        self.assertTrue(self.account.last_error)

    def test_a_partner_of_no_company_follows_no_brand_while_two_have_iys(self):
        """One consent holds one registry's word: with IYS switched on in two companies, brand B's approval
        of a partner of no company never opens them for company A; it waits for review."""
        company_b = self.env["res.company"].create({"name": "B Şirketi"})
        account_b = self.env["affinity.iys.account"].create(
            {
                "company_id": company_b.id,
                "base_url": self.iys.url,
                "iys_code": "999",
                "brand_code": "999",
                "state": "on",
            }
        )
        shared = self.Partner.create({"name": "Ortak", "mobile": "+90 533 444 55 66"})
        shared._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertEqual(self.decision(shared).reason, "iys_not_approved")
        now_tr = (datetime.datetime.now() + datetime.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
        account_b._apply_changes([change("+905334445566", "ONAY", when=now_tr)], "HS")
        self.assertFalse(self.consent(partner=shared).iys_status)
        self.assertEqual(self.decision(shared).reason, "iys_not_approved")
        self.assertTrue(
            self.env["affinity.iys.unmatched"].search(
                [("account_id", "=", account_b.id), ("recipient", "=", "+905334445566")]
            )
        )

    def test_the_status_check_asks_no_other_brand_about_a_shared_partner(self):
        other = IysStandIn().start()
        self.addCleanup(other.stop)
        shared = self.Partner.create({"name": "Ortak", "mobile": "+90 533 444 55 66"})
        self._registered(shared)
        company_b = self.env["res.company"].create({"name": "B Şirketi"})
        self.env["affinity.iys.account"].create(
            {
                "company_id": company_b.id,
                "base_url": other.url,
                "iys_code": other.iys_code,
                "brand_code": other.brand_code,
                "username": other.username,
                "password": other.password,
                "state": "on",
            }
        )
        with freeze_time(datetime.datetime.now() + datetime.timedelta(hours=49)):
            self.env["affinity.iys.account"]._confirm_before_sending(shared, "sms")
        self.assertEqual(other.status_requests, 0)
        self.assertEqual(self.consent(partner=shared).iys_status, "ONAY")


@tagged("post_install", "-at_install")
class TestIysMatchingHolds(IysCase):
    """What the outside reviewer tried and found holding, kept so it goes on holding."""

    def test_an_address_in_any_case_and_spacing(self):
        self.account._apply_changes([change("  AYSE@Example.COM ", "RET", "EPOSTA")], "IYS")
        self.assertEqual(self.consent("email").state, "denied")

    def test_a_person_and_a_merchant_on_one_page(self):
        firm = self.Partner.create(
            {"name": "Firma", "is_company": True, "email": "ayse@example.com", "company_id": self.company.id}
        )
        self.account._apply_changes(
            [
                change("ayse@example.com", "ONAY", "EPOSTA", "TACIR"),
                change("ayse@example.com", "RET", "EPOSTA"),
            ],
            "IYS",
        )
        self.assertEqual(
            (self.consent("email", firm).iys_status, self.consent("email").iys_status), ("ONAY", "RET")
        )

    def test_another_companys_partner_and_a_missing_recipient_type(self):
        other = self.env["res.company"].create({"name": "Başka"})
        stranger = self.Partner.create({"name": "X", "mobile": "+90 544 000 11 22", "company_id": other.id})
        item = change("+905321112233", "RET")
        del item["recipientType"]
        self.account._apply_changes([change("+905440001122", "RET"), item], "IYS")
        self.assertFalse(self.consent(partner=stranger))
        self.assertEqual(self.consent().state, "denied", "no recipientType: a person's record")

    def test_a_page_of_malformed_changes_moves_the_cursor_on(self):
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905321112233", "MESAJ", "BELKI")
        with self.assertLogs(LOGGER, "WARNING"):
            self.pull()
        self.assertTrue(self.account.cursor_iys)
        self.assertFalse(self.account.last_error)
