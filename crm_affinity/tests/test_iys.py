"""IYS in the loop, driven through the real client against the stand-in server on 127.0.0.1."""

import datetime
import threading
import time
from unittest.mock import patch

import requests
from freezegun import freeze_time
from werkzeug.wrappers import Response

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..tools.dates import add_business_days
from ..tools.iys import iys_holds, turkish_number_sql
from ..tools.iys_client import IysClient, IysError
from .common import AffinityCase
from .iys_standin import IysStandIn


@tagged("post_install", "-at_install")
class IysCase(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iys = IysStandIn().start()
        cls.addClassCleanup(cls.iys.stop)
        cls.company.write({"affinity_consent_mode": "opt_in", "affinity_relationship_commercial": True})
        cls.account = cls.env["affinity.iys.account"].create(
            {
                "company_id": cls.company.id,
                "base_url": cls.iys.url,
                "iys_code": cls.iys.iys_code,
                "brand_code": cls.iys.brand_code,
                "username": cls.iys.username,
                "password": cls.iys.password,
                "batch_size": 2,
                # Switched on as it is made: the switch itself is TestIysSwitch's.
                "state": "on",
            }
        )
        cls.partner.company_id = cls.company
        cls.push_cron = cls.env.ref("crm_affinity.ir_cron_affinity_iys_push")
        cls.pull_cron = cls.env.ref("crm_affinity.ir_cron_affinity_iys_pull")

    def setUp(self):
        super().setUp()
        self.iys.consents.clear()
        self.iys.changes.clear()
        self.iys.failures.clear()
        self.iys.token_requests = 0
        self.iys.now = None
        self.iys.token_bodies.clear()
        self.iys.reversed_results = False
        self.iys.serve_citizen_changes = False
        self.iys.status_requests = 0
        self.iys.brand_names = {self.iys.brand_code: "Marka"}

    def decision(self, partner=None, channel="sms", purpose="marketing"):
        partner = partner or self.partner
        return partner._affinity_contact_decision(channel, purpose, check_window=False)[partner.id]

    def consent(self, channel="sms", partner=None):
        partner = partner or self.partner
        return partner.affinity_consent_ids.filtered(
            lambda c: c.channel_id.code == channel and c.purpose_id.code == "marketing"
        )

    def last_log(self, partner=None):
        # The marketing history IYS mirrors (greetings that follow marketing write rows of their own).
        partner = partner or self.partner
        return self.env["affinity.consent.log"].search(
            [("partner_id", "=", partner.id), ("purpose_id.code", "=", "marketing")], limit=1
        )

    def push(self):
        self.push_cron.method_direct_trigger()

    def pull(self):
        """IYS serves a change an hour after it happened: the pull runs after that hour."""
        self.account.last_pull = False
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)):
            self.pull_cron.method_direct_trigger()


@tagged("post_install", "-at_install")
class TestIysPush(IysCase):
    def test_connection(self):
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.account.password = "wrong"
        with self.assertRaisesRegex(UserError, "IYS refused the user name or password"):
            self.account.action_test_connection()

    def test_grant_flows_to_iys_and_opens_the_decision(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertEqual(self.decision().reason, "iys_not_approved", "no ONAY at IYS yet")
        push = self.consent().iys_push_ids
        self.assertEqual(
            (push.state, push.recipient, push.consent_type, push.status),
            ("queued", "+905321112233", "MESAJ", "ONAY"),
        )
        self.assertEqual(push.source_code, "HS_ISLAK_IMZA")
        self.push()
        self.assertEqual(push.state, "submitted", "IYS keeps bulk items enqueued for a while")
        self.push()
        self.assertEqual(push.state, "done")
        self.assertTrue(push.transaction_id.startswith("T"))
        self.assertEqual(self.consent().iys_status, "ONAY")
        self.assertTrue(self.decision().allowed)
        log = self.last_log()
        self.assertEqual((log.iys_state, log.iys_transaction_id), ("Registered at IYS", push.transaction_id))
        # Pushed once: another run sends nothing.
        calls = len(self.iys.calls)
        self.push()
        self.assertFalse([call for call in self.iys.calls[calls:] if call[1].endswith("consents/request")])

    def test_rejection_is_shown_and_never_retried(self):
        with freeze_time("2026-11-02 09:00:00"):
            self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        push = self.consent().iys_push_ids
        self.push()
        self.push()
        self.assertEqual((push.state, push.error_code), ("rejected", "RULE_LATE"))
        self.assertIn("more than 3 business days", push.error_label)
        self.assertIn("RULE_LATE", self.last_log().iys_error)
        self.assertIn("more than 3 business days", self.consent().iys_error)
        calls = len(self.iys.calls)
        self.push()
        self.assertEqual(len(self.iys.calls), calls, "a rejected change is not sent again by itself")

    def test_first_denial_is_not_sent(self):
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="paper")
        self.assertFalse(self.consent().iys_push_ids, "IYS refuses a RET for a recipient it never approved")

    def test_server_errors_back_off_and_pause(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        push = self.consent().iys_push_ids
        self.account.action_test_connection()
        self.iys.fail_next(503)
        self.push()
        self.assertEqual((push.state, push.attempts), ("queued", 1))
        self.assertGreater(push.next_try, datetime.datetime.now())
        push.next_try = False
        self.iys.fail_next(429)
        self.push()
        self.assertTrue(self.account.paused_until, "429 pauses the account")
        self.assertEqual(push.state, "queued", "nothing lost")
        calls = len(self.iys.calls)
        self.push()
        self.assertEqual(len(self.iys.calls), calls, "a paused account does not ask")
        self.account.paused_until = False
        self.push()
        self.push()
        self.assertEqual(push.state, "done")

    def test_token_limit_pauses(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.iys.token_requests = self.iys.token_limit
        self.push()
        self.assertTrue(self.account.paused_until)
        self.assertIn("H084", self.account.last_error)
        self.assertEqual(self.consent().iys_push_ids.state, "queued")

    def test_token_expiring_mid_sync_is_renewed(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.partner_other._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.push()
        # IYS forgets the access token between the two runs (expired early): the client logs in again.
        self.iys.tokens.clear()
        self.push()
        self.assertEqual(
            set(
                (self.consent().iys_push_ids | self.consent("email", self.partner_other).iys_push_ids).mapped(
                    "state"
                )
            ),
            {"done"},
        )

    def test_crash_between_submit_and_poll(self):
        """A run that died after IYS took the request but before it was noted: recognised, not resent."""
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        push = self.consent().iys_push_ids
        client = self.account._client()
        self.iys.enqueue_polls = 0
        client.result(client.submit([push._payload()])["requestId"])
        push.state = "sending"  # what the crash left behind
        self.push()
        self.assertEqual(push.state, "done")
        self.assertEqual(len([c for c in self.iys.calls if c[1].endswith("consents/request")]), 1)
        self.iys.enqueue_polls = 1

    def test_bad_credentials_lose_nothing(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.account.password = "wrong"
        self.push()
        self.assertIn("user name and password", self.account.last_error)
        self.assertEqual(self.consent().iys_push_ids.state, "queued")

    def test_registry_master_pushes_nothing(self):
        self.account.mode = "registry"
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertFalse(self.consent().iys_push_ids)


@tagged("post_install", "-at_install")
class TestIysPull(IysCase):
    """The pull of citizens' changes, played as on the day ``changes?source=IYS`` goes live."""

    def setUp(self):
        super().setUp()
        self.iys.serve_citizen_changes = True

    def _registered(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.push()
        self.push()
        self.assertTrue(self.decision().allowed)

    def test_citizen_rejection_flips_the_decision_and_holds_the_mailing(self):
        self._registered()
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        self.pull()
        consent = self.consent()
        self.assertEqual((consent.state, consent.source, consent.iys_status), ("denied", "iys", "RET"))
        self.assertEqual(self.decision().reason, "denied")
        self.assertIn("IYS: RET", self.last_log().note)
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Kış SMS",
                "subject": "Kış SMS",
                "mailing_type": "sms",
                "body_plaintext": "Kış indirimi başladı",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "=", self.partner.id)]),
                "sms_force_send": False,
            }
        )
        mailing.action_send_sms()
        trace = mailing.mailing_trace_ids
        # The denial also blacklisted the number, so Odoo's own check may be the one that got there first.
        self.assertEqual(trace.trace_status, "cancel")
        self.assertIn(trace.failure_type, ("affinity_denied", "sms_blacklist"))

    def test_cursor_reads_each_change_once(self):
        self._registered()
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        self.pull()
        self.assertTrue(self.account.cursor_iys)
        logs = len(self.consent().log_ids)
        self.pull()
        self.assertEqual(len(self.consent().log_ids), logs)

    def test_the_last_hour_is_not_served_yet(self):
        self._registered()
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        self.pull_cron.method_direct_trigger()
        self.assertEqual(self.consent().state, "granted", "IYS serves changes an hour late")
        self.pull()
        self.assertEqual(self.consent().state, "denied")

    def test_pull_interval(self):
        self.account.write({"last_pull": datetime.datetime.now(), "pull_minutes": 60})
        calls = len(self.iys.calls)
        self.pull_cron.method_direct_trigger()
        self.assertEqual(len(self.iys.calls), calls, "pulled less than an hour ago")

    def test_unknown_recipients_wait_for_review(self):
        self.iys.citizen_says("+905559998877", "MESAJ", "ONAY")
        self.iys.citizen_says("nobody@example.com", "EPOSTA", "RET")
        self.pull()
        unmatched = self.env["affinity.iys.unmatched"].search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(unmatched.mapped("recipient")), ["+905559998877", "nobody@example.com"])

    def test_a_page_that_fails_keeps_the_pages_before(self):
        """Pages are read ahead while the one before is written: a failure on page two keeps page one
        written and its cursor, writes nothing of the rest, and the next pull resumes there."""
        partners = self.Partner.create(
            [{"name": f"Okur {n}", "email": f"okur{n}@example.com"} for n in range(5)]
        )
        for n in range(5):
            self.iys.citizen_says(f"okur{n}@example.com", "EPOSTA", "RET")
        self.account.pull_limit = 2
        read = IysClient.changes
        pages = []

        def changes(client, source, after=None, limit=1000):
            if source == "IYS":
                pages.append(after)
                if len(pages) == 2:
                    raise IysError("retry", "IYS could not be reached")
            return read(client, source, after=after, limit=limit)

        def denied():
            return partners.filtered(lambda p: self.consent("email", p).state == "denied")

        with patch.object(IysClient, "changes", changes):
            self.pull()
        self.assertEqual(len(pages), 2, "no page asked for after the failure")
        self.assertEqual(denied(), partners[:2])
        self.assertEqual(self.account.cursor_iys, pages[1], "the cursor of the page written")
        self.assertTrue(self.account.last_error)
        self.pull()
        self.assertEqual(denied(), partners)
        for partner in partners:
            self.assertEqual(len(self.consent("email", partner).log_ids), 1, "each change written once")

    def test_a_write_that_fails_asks_for_the_next_page_only(self):
        """While page one is written only page two travels: a write that fails on page one leaves no page
        after it asked for, and no reading thread behind."""
        for n in range(7):
            self.iys.citizen_says(f"okur{n}@example.com", "EPOSTA", "RET")
        self.account.pull_limit = 2
        read = IysClient.changes
        asked = []
        second_asked = threading.Event()

        def changes(client, source, after=None, limit=1000):
            if source == "IYS":
                asked.append(after)
                if len(asked) == 2:
                    second_asked.set()
            return read(client, source, after=after, limit=limit)

        def apply_changes(account, changes, source, confirmed=False):
            # The write takes a while: page two travels meanwhile, and a reader running further ahead would
            # ask for page three (a slow machine only hides it).
            second_asked.wait(5)
            time.sleep(0.2)
            raise RuntimeError("the write failed")

        with (
            patch.object(IysClient, "changes", changes),
            patch.object(type(self.account), "_apply_changes", apply_changes),
            freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)),
            self.assertRaisesRegex(RuntimeError, "the write failed"),
        ):
            self.account._pull()
        self.assertEqual(len(asked), 2, "page one and the page read ahead, no more")
        self.assertFalse(
            [thread for thread in threading.enumerate() if thread.name == "crm_affinity.read_ahead"],
            "the reading thread ended",
        )

    def test_an_answer_that_is_not_json_is_an_iys_error(self):
        """A page IYS (or a gateway before it) answers with 200 and no JSON is an IYS error of the account,
        like a 5xx: the pages before it stay written, the cron goes on."""
        partners = self.Partner.create(
            [{"name": f"Okur {n}", "email": f"okur{n}@example.com"} for n in range(3)]
        )
        for n in range(3):
            self.iys.citizen_says(f"okur{n}@example.com", "EPOSTA", "RET")
        self.account.pull_limit = 2
        serve = self.iys._changes

        def changes(args):
            if args.get("source") == "IYS" and args.get("after"):
                return Response("<html>Bakımdayız</html>", status=200, content_type="text/html")
            return serve(args)

        with patch.object(self.iys, "_changes", changes):
            self.pull()
        self.assertTrue(self.account.last_error)
        written = partners.filtered(lambda p: self.consent("email", p).state == "denied")
        self.assertEqual(written, partners[:2])
        self.pull()
        self.assertFalse(self.account.last_error)
        self.assertEqual(partners.filtered(lambda p: self.consent("email", p).state == "denied"), partners)

    def test_phone_rule_matches_any_spelling(self):
        self.partner.mobile = "0532 111 22 33"
        self.iys.citizen_says("+905321112233", "MESAJ", "ONAY")
        self.pull()
        self.assertEqual((self.consent().state, self.consent().iys_status), ("granted", "ONAY"))


@tagged("post_install", "-at_install")
class TestIysDeadline(IysCase):
    def test_three_business_days_across_a_holiday(self):
        with freeze_time("2026-04-20 10:00:00"):
            # Monday 20 April: 23 April (Thursday) is National Sovereignty and Children's Day, known
            # without anyone entering it.
            self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        consent = self.consent("email")
        self.assertEqual(consent.iys_deadline, datetime.date(2026, 4, 24))
        self.assertEqual(add_business_days(datetime.date(2026, 4, 20), 3), datetime.date(2026, 4, 23))
        with freeze_time("2026-04-27 08:00:00"):
            action = self.env["affinity.consent"]._iys_overdue_action(self.company)
            self.assertIn(consent, self.env["affinity.consent"].search(action["domain"]))
            self.env.ref("crm_affinity.ir_cron_affinity_iys_deadlines").method_direct_trigger()
        activity = self.account.activity_ids
        self.assertTrue(activity)
        self.assertIn("overdue at IYS", activity[0].summary)
        consent.write({"iys_status": "ONAY"})
        with freeze_time("2026-04-27 08:00:00"):
            self.assertNotIn(consent, self.env["affinity.consent"].search(action["domain"]))

    def test_deadlines_by_the_turkish_calendar(self):
        """3 business days, counted by hand on the official calendar of 2026-2028 (Law 2429's holidays and
        the Bayrams as the Presidency of Religious Affairs dates them), from the day in Turkish time
        (GMT+3); the eve of a Bayram and 28 October are half days, so business days."""
        cases = [
            # (given, Istanbul time; due at IYS by)
            ("2026-03-19 10:00", "2026-03-25"),  # the eve; Ramazan Bayramı Fri 20-Sun 22; 23, 24, 25
            ("2026-05-25 10:00", "2026-06-02"),  # 26 the eve counts; Kurban Bayramı Wed 27-Sat 30; 1, 2 June
            ("2026-07-10 10:00", "2026-07-16"),  # Fri; 13, 14; 15 July Democracy Day; 16
            ("2026-10-27 10:00", "2026-11-02"),  # 28 the eve counts; 29 Republic Day; 30, 2 November
            ("2026-10-28 10:00", "2026-11-03"),  # the eve; 29 Republic Day; 30, 2, 3 November
            ("2026-12-31 10:00", "2027-01-06"),  # 1 January; 4, 5, 6
            ("2027-03-05 10:00", "2027-03-15"),  # Fri; 8 the eve counts; Ramazan Bayramı Tue 9-Thu 11; 12, 15
            ("2027-05-14 10:00", "2027-05-24"),  # Fri; Kurban Bayramı Sun 16-Wed 19 (and 19 May); 20, 21, 24
            ("2027-08-26 10:00", "2027-09-01"),  # Thu; 27; 30 August Victory Day; 31, 1 September
            ("2028-02-24 10:00", "2028-03-01"),  # 25 the eve counts; Ramazan Bayramı Sat 26-Mon 28; 29, 1
            ("2028-05-03 10:00", "2028-05-10"),  # Kurban Bayramı from 4 or 5 May to 7 or 8: 10 May either way
            ("2028-05-18 10:00", "2028-05-24"),  # 19 May (Fri); 22, 23, 24
            ("2028-08-29 10:00", "2028-09-04"),  # 30 August Victory Day; 31, 1, 4 September
            # 00:30 in Istanbul on Friday 30 October is 21:30 UTC on Republic Day: the count starts on the 30th.
            ("2026-10-30 00:30", "2026-11-04"),
        ]
        consent = self.env["affinity.consent"].create(
            {
                "partner_id": self.partner.id,
                "channel_id": self.channel_email.id,
                "purpose_id": self.marketing.id,
                "state": "granted",
                "source": "paper",
                "date_given": "2026-01-05 07:00:00",
            }
        )
        for given, due in cases:
            with self.subTest(given=given):
                consent.date_given = datetime.datetime.fromisoformat(given) - datetime.timedelta(hours=3)
                self.assertEqual(consent.iys_deadline, datetime.date.fromisoformat(due))
        # A day the company closes does not move the law's deadline.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Company day",
                "calendar_id": self.company.resource_calendar_id.id,
                "date_from": "2026-11-01 21:00:00",
                "date_to": "2026-11-02 20:59:59",
            }
        )
        consent.date_given = "2026-10-28 07:00:00"
        consent.invalidate_recordset(["iys_deadline"])
        self.assertEqual(consent.iys_deadline, datetime.date(2026, 11, 3))
        # Overdue once Turkey's day has moved past the deadline, whatever the date in UTC.
        with freeze_time("2026-11-03 20:30:00"):
            action = self.env["affinity.consent"]._iys_overdue_action(self.company)
            self.assertNotIn(consent, self.env["affinity.consent"].search(action["domain"]))
        with freeze_time("2026-11-03 21:30:00"):
            action = self.env["affinity.consent"]._iys_overdue_action(self.company)
            self.assertIn(consent, self.env["affinity.consent"].search(action["domain"]))


@tagged("post_install", "-at_install")
class TestIysReconcile(IysCase):
    def test_differences_aligned_either_way(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.partner_other.mobile = "+90 533 222 33 44"
        self.partner_other._affinity_set_consent("sms", "marketing", "granted", source="paper")
        said_at = (datetime.datetime.now() + datetime.timedelta(hours=3)).replace(microsecond=0)
        self.iys.citizen_says("+905332223344", "MESAJ", "RET", moment=said_at)
        wizard = self.env["affinity.iys.reconcile"].create(
            {"account_id": self.account.id, "partner_ids": [(6, 0, (self.partner | self.partner_other).ids)]}
        )
        wizard.action_compare()
        by_partner = {line.partner_id: line for line in wizard.line_ids}
        self.assertEqual((by_partner[self.partner].ours, by_partner[self.partner].theirs), ("ONAY", "none"))
        self.assertEqual(
            (by_partner[self.partner_other].ours, by_partner[self.partner_other].theirs), ("ONAY", "RET")
        )
        by_partner[self.partner_other].action_take_iys()
        self.assertEqual(self.consent(partner=self.partner_other).state, "denied")
        self.assertEqual(self.last_log(self.partner_other).source, "iys")
        self.assertEqual(
            self.last_log(self.partner_other).consent_date,
            said_at - datetime.timedelta(hours=3),
            "the citizen's own moment, as IYS holds it",
        )
        by_partner[self.partner].action_send_ours()
        self.assertEqual(len(self.consent().iys_push_ids), 2)

    def test_compare_keeps_what_iys_says_and_knows_the_brand_first(self):
        """The comparison keeps IYS's answer on every consent it asked about, agreeing or not; a brand IYS
        does not know (404, like a recipient IYS holds nothing for) stops it before any question."""
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.push()
        self.push()
        consent = self.consent()
        self.assertEqual(consent.iys_status, "ONAY")
        self.account.brand_code = "999"
        wizard = self.env["affinity.iys.reconcile"].create(
            {"account_id": self.account.id, "partner_ids": [(6, 0, self.partner.ids)]}
        )
        with self.assertRaisesRegex(UserError, "no brand 999"):
            wizard.action_compare()
        self.assertEqual((consent.iys_status, self.iys.status_requests), ("ONAY", 0))
        self.account.brand_code = self.iys.brand_code
        consent.iys_synced_at = False
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        wizard.action_compare()
        self.assertEqual(self.iys.status_requests, 1)
        self.assertEqual(
            (consent.iys_status, consent.state), ("RET", "granted"), "IYS's word kept, ours shown"
        )
        self.assertTrue(consent.iys_synced_at)
        self.assertEqual(self.decision().reason, "iys_not_approved")


@tagged("post_install", "-at_install")
class TestIysAccess(IysCase):
    def test_credentials_only_for_administrators(self):
        for user in (self.user_affinity, self.user_plain):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.account.with_user(user).read(["password"])
        account = self.account.with_user(self.user_manager)
        self.assertEqual(account.password, self.iys.password)
        self.assertNotIn(
            "password", self.env["affinity.iys.account"].with_user(self.user_affinity).fields_get()
        )
        with self.assertRaises(AccessError):
            self.env["affinity.iys.push"].with_user(self.user_affinity).search([])


@tagged("post_install", "-at_install")
class TestIysByTheBook(IysCase):
    """Issue #35: the client against the pages (dev.iys.org.tr, API Metotlar), through the strict stand-in."""

    def _registered(self, partner=None, channel="sms"):
        partner = partner or self.partner
        partner._affinity_set_consent(channel, "marketing", "granted", source="paper")
        self.push()
        self.push()
        self.assertEqual(self.consent(channel, partner).iys_status, "ONAY")

    # --- Kimlik Yönetimi → Jeton Alma / Jeton Yenileme -------------------------------------------------

    def test_token_requests_are_json_bodies(self):
        client = self.account._client(fresh=True)
        client.access_token()
        self.assertEqual(
            self.iys.token_bodies[-1],
            {"username": self.iys.username, "password": self.iys.password, "grant_type": "password"},
        )
        refresh = client.tokens["refresh_token"]
        client.tokens["access_until"] = "2000-01-01T00:00:00"
        client.access_token()
        self.assertEqual(self.iys.token_bodies[-1], {"refresh_token": refresh, "grant_type": "refresh_token"})
        form = requests.post(
            f"{self.iys.url}/oauth2/token",
            data={"username": self.iys.username, "password": self.iys.password, "grant_type": "password"},
            timeout=5,
        )
        self.assertEqual(form.status_code, 400, "the stand-in refuses a form, as the page shows a JSON body")

    # --- Asenkron Çoklu İzin Ekleme / Çoklu İzin Ekleme İsteği Sorgulama -----------------------------

    def _two_in_one_request(self):
        with freeze_time("2026-11-02 09:00:00"):
            # More than 3 business days before today: IYS refuses it.
            self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.partner_other._affinity_set_consent("email", "marketing", "granted", source="paper")
        late = self.consent().iys_push_ids
        fine = self.consent("email", self.partner_other).iys_push_ids
        self.push()
        self.assertEqual(late.request_id, fine.request_id, "one bulk request (batch size 2)")
        self.assertTrue(
            late.subrequest_id and fine.subrequest_id and late.subrequest_id != fine.subrequest_id
        )
        self.push()
        return late, fine

    def test_bulk_results_matched_by_subrequest_id(self):
        late, fine = self._two_in_one_request()
        self.assertEqual((late.state, late.error_code, late.item_index), ("rejected", "RULE_LATE", 1))
        self.assertEqual((fine.state, fine.item_index), ("done", 2))
        self.assertTrue(fine.transaction_id)
        self.assertFalse(late.transaction_id)

    def test_bulk_results_in_any_order(self):
        self.iys.reversed_results = True
        late, fine = self._two_in_one_request()
        self.assertEqual((late.state, late.item_index), ("rejected", 1))
        self.assertEqual((fine.state, fine.item_index), ("done", 2))

    def test_batch_size_at_most_a_bulk_request(self):
        self.account.batch_size = 1000
        with self.assertRaisesRegex(ValidationError, "at most 1000"):
            self.account.batch_size = 1001
        answer = requests.post(
            f"{self.iys.url}/sps/{self.iys.iys_code}/brands/{self.iys.brand_code}/consents/request",
            json=[{"recipient": "+905321112233"}] * 1001,
            headers={"Authorization": f"Bearer {self.account._client(fresh=True).access_token()}"},
            timeout=5,
        )
        self.assertEqual(answer.status_code, 400)

    # --- Test connection: Marka Listeleme ---------------------------------------------------------------

    def test_connection_names_the_brand(self):
        action = self.account.action_test_connection()
        self.assertEqual(
            action["params"]["message"], f"Connected to IYS as brand {self.iys.brand_code} (Marka)."
        )

    def test_connection_unknown_brand(self):
        self.account.brand_code = "999"
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        message = str(caught.exception)
        self.assertIn("no brand 999 under IYS code 123456", message)
        self.assertIn("654321 (Marka)", message)
        self.assertNotIn("Connected", message)
        # A brand-scoped route of an unknown brand is not found.
        client = self.account._client(fresh=True)
        with self.assertRaises(Exception) as route:
            client.changes("HS")
        self.assertEqual(route.exception.http_status, 404)

    def test_connection_wrong_iys_code_or_no_right_to_list(self):
        self.account.iys_code = "111111"
        with self.assertRaisesRegex(UserError, "IYS does not know IYS code 111111"):
            self.account.action_test_connection()
        self.account.iys_code = self.iys.iys_code
        # The brands refused twice: once, and again after the one new login the client allows itself.
        self.iys.fail_next(403, count=2, after=1)
        with self.assertRaisesRegex(UserError, "does not let this user list the brands of IYS code 123456"):
            self.account.action_test_connection()

    def test_connection_unreachable_says_what_to_do(self):
        self.account.base_url = "http://127.0.0.1:9"
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        message = str(caught.exception)
        self.assertIn("could not be reached at http://127.0.0.1:9", message)
        self.assertIn("Check the Base URL", message)
        self.assertNotIn("None", message)
        self.assertNotIn("refused", message)

    def test_sync_error_without_code_says_no_none(self):
        self.account.base_url = "http://127.0.0.1:9"
        self.account.action_pull_now()
        self.assertNotIn("None", self.account.last_error)
        self.assertIn("tried again later", self.account.last_error)

    # --- İzin Hareketi Sorgulama (Pull): the person's own moment -------------------------------------

    def test_citizen_moment_is_the_history_date(self):
        self._registered()
        self.iys.serve_citizen_changes = True
        # Turkish time, 10 minutes after our approval was registered; the pull runs an hour later.
        said_at = (datetime.datetime.now() + datetime.timedelta(hours=3, minutes=10)).replace(microsecond=0)
        self.iys.citizen_says("+905321112233", "MESAJ", "RET", moment=said_at)
        self.pull()
        log = self.last_log()
        utc = said_at - datetime.timedelta(hours=3)
        self.assertEqual((log.new_state, log.source), ("denied", "iys"))
        self.assertEqual(log.consent_date, utc, "the citizen's moment, not the pull's")
        self.assertEqual(self.consent().date_given, utc)
        self.assertEqual(self.consent().iys_date, utc)

    def test_newest_word_wins_by_the_moments(self):
        """Our own grant given after the citizen's RET stands (we are master); one given before yields."""
        self._registered()
        self.iys.serve_citizen_changes = True
        now_tr = (datetime.datetime.now() + datetime.timedelta(hours=3)).replace(microsecond=0)
        self.iys.citizen_says("+905321112233", "MESAJ", "RET", moment=now_tr + datetime.timedelta(minutes=10))
        # Our paper grant given 20 minutes on is newer than the citizen's word 10 minutes on.
        self.consent().date_given = datetime.datetime.now() + datetime.timedelta(minutes=20)
        self.pull()
        self.assertEqual(self.consent().state, "granted")
        self.assertEqual(self.consent().iys_status, "RET", "IYS's word is mirrored all the same")
        self.assertEqual(self.decision().reason, "iys_not_approved")

    def test_a_merchants_word_never_speaks_for_a_person(self):
        """A TACIR record of the person's number is another record at IYS: its RET neither turns the
        person's consent down nor hides behind the person's; it waits for review as what it is."""
        self._registered()
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905321112233", "MESAJ", "RET", kind="TACIR")
        self.pull()
        self.assertEqual((self.consent().state, self.consent().iys_status), ("granted", "ONAY"))
        unmatched = self.env["affinity.iys.unmatched"].search([("account_id", "=", self.account.id)])
        self.assertEqual(
            unmatched.mapped(lambda row: (row.recipient, row.recipient_type, row.status)),
            [("+905321112233", "TACIR", "RET")],
        )
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        self.pull()
        self.assertEqual(self.consent().state, "denied", "the person's own RET applies")

    def _merchant(self, mobile="+90 532 111 22 33"):
        """A company, by default at Ayşe's number: a merchant's consent of the same address is a record of
        its own at IYS."""
        return self.Partner.create(
            {
                "name": "Yılmaz Ltd",
                "is_company": True,
                "mobile": mobile,
                "company_id": self.company.id,
            }
        )

    def test_a_merchants_word_reaches_the_company_at_the_address(self):
        """Ayşe and her company share a number: IYS's TACIR RET is the company's, its BIREYSEL one Ayşe's,
        each applied to the partner the record is about (Ayşe's SMS stops all the same: the company's denial
        blacklists the number they share, as Odoo's blacklist is per number)."""
        company = self._merchant()
        self._registered()
        self._registered(company)
        self.assertEqual(company.affinity_consent_ids.iys_push_ids.recipient_type, "TACIR")
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905321112233", "MESAJ", "RET", kind="TACIR")
        self.pull()
        merchant, person = self.consent("sms", company), self.consent()
        self.assertEqual((merchant.state, merchant.source, merchant.iys_status), ("denied", "iys", "RET"))
        self.assertEqual(
            (person.source, person.iys_status), ("blacklist", "ONAY"), "IYS's word on Ayşe is unchanged"
        )
        self.assertFalse(self.env["affinity.iys.unmatched"].search([("account_id", "=", self.account.id)]))
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        self.pull()
        self.assertEqual((person.state, person.iys_status), ("denied", "RET"), "and now IYS's word on her")

    def test_a_merchants_change_without_a_date_is_as_old_as_its_registration(self):
        """A TACIR consent goes without consentDate ("tacir izinleri için zorunlu değildir"): read back, it is
        as old as IYS's creationDate, so a withdrawal made here since is not overturned by the pull."""
        company = self._merchant("+90 532 999 88 77")
        self._registered(company)
        later = datetime.datetime.now() + datetime.timedelta(minutes=5)
        with freeze_time(later):
            company._affinity_set_consent("sms", "marketing", "denied", source="paper")
        self.pull()
        self.assertEqual(
            (self.consent("sms", company).state, self.consent("sms", company).source), ("denied", "paper")
        )

    def test_a_malformed_change_is_left_aside_and_the_page_goes_on(self):
        self._registered()
        self.iys.serve_citizen_changes = True
        self.iys.citizen_says("+905321112233", "MESAJ", "BELKI")
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        with self.assertLogs("odoo.addons.crm_affinity.models.affinity_iys_account", "WARNING") as logs:
            self.pull()
        self.assertIn("1 change(s) not in the documented form left aside", logs.output[0])
        self.assertEqual(self.consent().state, "denied")
        self.assertFalse(self.account.last_error)

    def test_consents_from_before_2015_are_registered_as_hs_2015(self):
        """İzin Doğrulama Kuralları: HS_2015 "sadece "consentDate": "2015-05-01 00:00:00" kabul edilir", and
        no other source may go before that day; an import of last week keeps its own moment. IYS takes the
        old one only before the brand's activation date (here, a brand still loading its past consents)."""
        self.iys.activation = datetime.datetime(2027, 1, 1)
        self.addCleanup(setattr, self.iys, "activation", datetime.datetime(2021, 1, 1))
        with freeze_time("2026-12-01 07:00:00"):
            self.partner._affinity_set_consent(
                "sms", "marketing", "granted", source="import", date_given=datetime.datetime(2014, 3, 1, 9, 0)
            )
            self.partner_other._affinity_set_consent(
                "email",
                "marketing",
                "granted",
                source="import",
                date_given=datetime.datetime(2026, 11, 30, 9, 0),
            )
            self.push()
            self.push()
        old, recent = self.consent().iys_push_ids, self.consent("email", self.partner_other).iys_push_ids
        self.assertEqual(
            (old.source_code, old.consent_date, old.state), ("HS_2015", "2015-05-01 00:00:00", "done")
        )
        self.assertEqual(
            (recent.source_code, recent.consent_date, recent.state),
            ("HS_FIZIKSEL_ORTAM", "2026-11-30 12:00:00", "done"),
        )

    def test_after_the_activation_date_an_old_consent_is_refused_as_late(self):
        """ "Aktivasyon tarihinden sonra sisteme yüklenecek izin, mevcut tarih ve saatten en fazla 3 iş günü
        geride olabilir": HS_2015 included; the refusal is shown, as every late change's is."""
        with freeze_time("2026-12-01 07:00:00"):
            self.partner._affinity_set_consent(
                "sms", "marketing", "granted", source="import", date_given=datetime.datetime(2014, 3, 1, 9, 0)
            )
            self.push()
            self.push()
        push = self.consent().iys_push_ids
        self.assertEqual(
            (push.source_code, push.state, push.error_code), ("HS_2015", "rejected", "RULE_LATE")
        )

    def test_pull_of_citizens_answers_empty_as_documented(self):
        self._registered()
        self.iys.citizen_says("+905321112233", "MESAJ", "RET")
        client = self.account._client(fresh=True)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)):
            self.assertEqual(client.changes("IYS")["list"], [])
        self.pull()
        self.assertEqual(self.consent().state, "granted", "the pull of source=IYS brings nothing")
        # "boş cevap" may as well be an empty body: no change, and no error either.
        self.iys.empty_body = True
        self.addCleanup(setattr, self.iys, "empty_body", False)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)):
            self.assertEqual(client.changes("IYS")["list"], [])
        self.pull()
        self.assertFalse(self.account.last_error)
        self.assertEqual(self.consent().state, "granted")

    # --- Numbers outside Turkey ------------------------------------------------------------------------

    def test_number_outside_turkey_needs_no_onay(self):
        self.partner_other.mobile = "+31 6 12345678"
        self.partner_other._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertEqual(self.decision(self.partner_other).reason, "granted")
        foreign = self.consent(partner=self.partner_other)
        self.assertFalse(foreign.iys_push_ids, "never queued to IYS")
        self.assertTrue(foreign.iys_in_sync, "nothing is ever due at IYS for it")
        with freeze_time(datetime.datetime.now() + datetime.timedelta(days=10)):
            overdue = self.env["affinity.consent"].search(self.company._affinity_iys_overdue_domain())
        self.assertNotIn(foreign, overdue)
        # A Turkish number, and any e-mail address, still wait for IYS's ONAY.
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertEqual(self.decision().reason, "iys_not_approved")
        self.partner_other._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.assertEqual(self.decision(self.partner_other, "email").reason, "iys_not_approved")
        # Reconciliation has nothing to compare for it.
        wizard = self.env["affinity.iys.reconcile"].create(
            {"account_id": self.account.id, "partner_ids": [(6, 0, self.partner_other.ids)]}
        )
        wizard.action_compare()
        self.assertFalse(wizard.line_ids.filtered(lambda line: line.channel_id.code == "sms"))
        # A national number of a partner in Turkey is Turkish.
        self.partner_other.write({"mobile": "0533 222 33 44", "country_id": self.env.ref("base.tr").id})
        self.assertEqual(self.decision(self.partner_other).reason, "iys_not_approved")

    def test_turkish_number_same_in_python_and_sql(self):
        """The decision's SQL and the queue's Python read a number the same way."""
        turkey, netherlands = self.env.ref("base.tr"), self.env.ref("base.nl")
        cases = [
            ("+90 532 111 22 33", False, True),
            ("0532 111 22 33", turkey, True),
            ("(0532) 111-22-33", turkey, True),
            ("0090 532 111 22 33", netherlands, True),
            ("+31 6 12345678", False, False),
            ("+31 6 12345678", turkey, False),
            ("0031 6 12345678", turkey, False),
            ("06 12345678", netherlands, False),
        ]
        for number, country, turkish in cases:
            with self.subTest(number=number, country=country.code if country else None):
                partner = self.Partner.create(
                    {"name": "Numara", "mobile": number, "country_id": country and country.id}
                )
                recipient = partner._affinity_iys_recipient(self.channel_sms)
                self.assertEqual(iys_holds("MESAJ", recipient), turkish, recipient)
                row = self.env.execute_query(
                    SQL(
                        "SELECT %s FROM res_partner p WHERE p.id = %s",
                        turkish_number_sql(SQL("p.mobile"), SQL("p.country_id"), turkey.id),
                        partner.id,
                    )
                )
                self.assertEqual(row[0][0], turkish)

    # --- Tekil İzin Durumu Sorgulama before a commercial message ------------------------------------

    def _sms_mailing(self, partner):
        return self.env["mailing.mailing"].create(
            {
                "name": "Kış SMS",
                "subject": "Kış SMS",
                "mailing_type": "sms",
                "body_plaintext": "Kış indirimi başladı",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "=", partner.id)]),
                "sms_force_send": False,
            }
        )

    def test_citizen_rejection_by_status_check_stops_the_next_message(self):
        self._registered()
        self.account.status_max_age = 48
        later = datetime.datetime.now() + datetime.timedelta(hours=49)
        with freeze_time(later):
            self.iys.citizen_says("+905321112233", "MESAJ", "RET")
            self.pull_cron.method_direct_trigger()
            self.assertEqual(self.consent().state, "granted", "changes?source=IYS answers empty")
            mailing = self._sms_mailing(self.partner)
            mailing.action_send_sms()
        self.assertEqual(self.iys.status_requests, 1)
        consent = self.consent()
        self.assertEqual((consent.state, consent.source, consent.iys_status), ("denied", "iys", "RET"))
        self.assertEqual(mailing.mailing_trace_ids.trace_status, "cancel")

    def test_fresh_approval_is_not_asked_again(self):
        self._registered()
        self.account.status_max_age = 48
        self._sms_mailing(self.partner).action_send_sms()
        self.assertEqual(self.iys.status_requests, 0, "confirmed less than 48 hours ago")

    # --- Günlük İzin Hareket Dosyası: the nightly reconciliation ------------------------------------

    def test_nightly_change_file_brings_the_citizen_rejection(self):
        cron = self.env.ref("crm_affinity.ir_cron_affinity_iys_reconcile")
        with freeze_time("2026-12-01 07:00:00"):  # Tuesday, 10:00 in Turkey
            self._registered()
            self._registered(self.partner_other, "email")
            self.iys.citizen_says(
                "+905321112233", "MESAJ", "RET", moment=datetime.datetime(2026, 12, 1, 12, 15)
            )
        with freeze_time("2026-12-02 01:30:00"):
            self.assertEqual(self.iys.changes[-1]["kind"], "IYS")
            cron.method_direct_trigger()
        consent = self.consent()
        self.assertEqual((consent.state, consent.source, consent.iys_status), ("denied", "iys", "RET"))
        self.assertEqual(self.last_log().consent_date, datetime.datetime(2026, 12, 1, 9, 15))
        self.assertEqual(self.account.changes_file_date, datetime.date(2026, 12, 1))
        # The next night joins the last: every approval mirrored is confirmed to the end of the day read.
        with freeze_time("2026-12-03 01:30:00"):
            cron.method_direct_trigger()
        self.assertEqual(self.account.changes_file_date, datetime.date(2026, 12, 2))
        self.assertEqual(
            self.consent("email", self.partner_other).iys_synced_at, datetime.datetime(2026, 12, 2, 21, 0)
        )

    def test_a_change_file_that_fails_keeps_the_days_before(self):
        """Change files are read ahead while the day before is written: a failure on the second day keeps
        the first written and its date, and the next night goes on from the second."""
        cron = self.env.ref("crm_affinity.ir_cron_affinity_iys_reconcile")
        partners = self.Partner.create(
            [{"name": f"Okur {n}", "email": f"okur{n}@example.com"} for n in range(3)]
        )
        for n in range(3):
            moment = datetime.datetime(2026, 11, 30, 12) + datetime.timedelta(days=n)
            self.iys.citizen_says(f"okur{n}@example.com", "EPOSTA", "RET", moment=moment)
        self.account.changes_file_date = datetime.date(2026, 11, 29)
        read = IysClient.change_file
        asked = []

        def change_file(client, day):
            asked.append(day)
            if len(asked) == 2:
                raise IysError("retry", "IYS could not be reached")
            return read(client, day)

        def denied():
            return partners.filtered(lambda p: self.consent("email", p).state == "denied")

        with freeze_time("2026-12-03 01:30:00"), patch.object(IysClient, "change_file", change_file):
            cron.method_direct_trigger()
        self.assertEqual(asked, [datetime.date(2026, 11, 30), datetime.date(2026, 12, 1)])
        self.assertEqual(self.account.changes_file_date, datetime.date(2026, 11, 30))
        self.assertEqual(denied(), partners[:1])
        self.assertTrue(self.account.last_error)
        with freeze_time("2026-12-03 01:30:00"):
            cron.method_direct_trigger()
        self.assertEqual(self.account.changes_file_date, datetime.date(2026, 12, 2))
        self.assertEqual(denied(), partners)
        for partner in partners:
            self.assertEqual(len(self.consent("email", partner).log_ids), 1, "each change written once")


@tagged("post_install", "-at_install")
class TestIysStandInByThePages(IysCase):
    """The stand-in refuses what the pages refuse, so a client drifting from them fails a test."""

    def add(self, **changes):
        item = {
            "recipient": "+905321112233",
            "recipientType": "BIREYSEL",
            "type": "MESAJ",
            "status": "ONAY",
            "source": "HS_WEB",
            "consentDate": "2026-12-04 10:00:00",
        }
        item.update(changes)
        if not hasattr(self, "client"):
            self.client = self.account._client(fresh=True)
        try:
            self.client.add_consent(item)
        except Exception as error:  # noqa: BLE001 - the IysError is what the test reads
            return error.http_status, error.code
        return 200, None

    def test_rules_of_izin_dogrulama_kurallari(self):
        self.iys.now = datetime.datetime(2026, 12, 4, 12, 0)  # Friday, Turkish time
        cases = [
            ({"status": "RET"}, (422, "RULE_FIRST_RET")),
            ({"consentDate": "2015-04-30 23:59:59"}, (422, "H155")),
            ({"consentDate": "2026-12-04 12:00:01"}, (422, "RULE_FUTURE")),
            ({"consentDate": "2026-11-28 10:00:00"}, (422, "RULE_LATE")),  # 4 business days back
            # "mevcut tarih ve saatten en fazla 3 iş günü geride": the date and the hour.
            ({"consentDate": "2026-12-01 12:00:00"}, (200, None)),  # 3 business days back, to the second
            ({"consentDate": "2026-12-01 11:59:59"}, (422, "RULE_LATE")),  # a second more
            ({"consentDate": "2026-12-01 10:00:00"}, (422, "RULE_LATE")),
            ({"source": "IYS_MOBIL"}, (422, "H113")),
            ({"type": "FAX"}, (422, "H111")),
            ({"recipient": ""}, (422, "H114")),
            ({"recipient": "+31612345678"}, (422, "RULE_RECIPIENT")),
        ]
        for changes, expected in cases:
            self.iys.consents.clear()
            with self.subTest(changes=changes):
                self.assertEqual(self.add(**changes), expected)
        self.iys.consents.clear()
        self.assertEqual(self.add(), (200, None))
        self.assertEqual(self.add(consentDate="2026-12-04 11:00:00"), (422, "RULE_SAME_STATUS"))
        self.assertEqual(self.add(status="RET", consentDate="2026-12-04 09:00:00"), (422, "RULE_NOT_NEWER"))
        self.assertEqual(self.add(status="RET", consentDate="2026-12-04 11:00:00"), (200, None))
        self.assertEqual(self.add(status="RET", consentDate="2026-12-04 11:30:00"), (422, "RULE_SAME_STATUS"))

    def test_rules_hold_for_a_merchant_too(self):
        """İzin Doğrulama Kuralları: a person's and a merchant's record of one address are two records, and
        only consentDate and source are optional for the merchant: the status rules hold for both."""
        self.iys.now = datetime.datetime(2026, 12, 4, 12, 0)
        merchant = {"recipientType": "TACIR", "source": None, "consentDate": None}
        self.assertEqual(self.add(status="RET", **merchant), (422, "RULE_FIRST_RET"))
        self.assertEqual(self.add(**merchant), (200, None))
        self.assertEqual(self.add(**merchant), (422, "RULE_SAME_STATUS"))
        self.assertEqual(self.add(recipientType="TACIR", source="IYS_MOBIL"), (422, "H113"))
        self.assertEqual(
            self.add(recipientType="TACIR", status="RET", consentDate="2026-11-28 10:00:00"),
            (422, "RULE_LATE"),
        )
        self.assertEqual(self.add(status="RET"), (422, "RULE_FIRST_RET"), "the person's record is another")
        self.assertEqual(self.add(), (200, None))

    def test_pull_cursor_is_the_registrys_and_changes_come_by_creation_date(self):
        """İzin Hareketi Sorgulama (Pull): changes "İYS'ye kayıt tarihine (creationDate) göre sıralı"; the
        ``after`` the page shows is "1604423100000_053a…", which the client only hands back."""
        self.iys.serve_citizen_changes = True
        now_tr = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=3)
        self.iys.citizen_says("+905321112233", "MESAJ", "ONAY", created=now_tr - datetime.timedelta(hours=3))
        self.iys.citizen_says("+905321112244", "MESAJ", "ONAY", created=now_tr - datetime.timedelta(hours=5))
        client = self.account._client(fresh=True)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)):
            first = client.changes("IYS", limit=1)
            second = client.changes("IYS", after=first["after"], limit=1)
            last = client.changes("IYS", after=second["after"], limit=1)
            with self.assertRaises(IysError) as caught:
                client.changes("IYS", after="7", limit=1)
        self.assertEqual(
            [change["recipient"] for change in first["list"] + second["list"]],
            ["+905321112244", "+905321112233"],
        )
        self.assertRegex(first["after"], r"^\d{13}_[0-9a-f]{64}$")
        self.assertEqual((last["list"], last["after"]), ([], second["after"]))
        self.assertEqual(caught.exception.http_status, 422)

    def test_pull_never_passes_a_change_not_served_yet(self):
        """ "son 1 saat hariç … creationDate'e göre sıralı": a change not served yet holds the cursor before it,
        so it is read once it is served, and the one after it with it."""
        self.iys.serve_citizen_changes = True
        now_tr = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=3)
        self.iys.citizen_says("+905321112233", "MESAJ", "ONAY", created=now_tr - datetime.timedelta(hours=5))
        self.iys.citizen_says("+905321112244", "MESAJ", "ONAY", created=now_tr - datetime.timedelta(hours=3))
        self.iys.changes[0]["visible_at"] = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        self.iys.changes[1]["visible_at"] -= datetime.timedelta(hours=2)
        client = self.account._client(fresh=True)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=30)):
            early = client.changes("IYS")
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=61)):
            later = client.changes("IYS", after=early["after"])
        self.assertEqual((early["list"], early["after"]), ([], None))
        self.assertEqual(
            [change["recipient"] for change in later["list"]], ["+905321112233", "+905321112244"]
        )

    def test_bulk_result_index_from_one(self):
        client = self.account._client(fresh=True)
        self.iys.enqueue_polls = 0
        answer = client.submit(
            [
                {"recipient": "+905321112233", "recipientType": "TACIR", "type": "MESAJ", "status": "ONAY"},
                {"recipient": "a@example.com", "recipientType": "TACIR", "type": "EPOSTA", "status": "ONAY"},
            ]
        )
        results = client.result(answer["requestId"])
        self.iys.enqueue_polls = 1
        self.assertEqual([item["index"] for item in results], [1, 2])
        self.assertEqual(
            [item["subrequestId"] for item in results], [sub["subrequestId"] for sub in answer["subRequests"]]
        )

    def test_change_file_days(self):
        client = self.account._client(fresh=True)
        today = (datetime.datetime.now() + datetime.timedelta(hours=3)).date()
        self.assertEqual(client.change_file(today - datetime.timedelta(days=7)), [])
        for day in (today, today - datetime.timedelta(days=8)):
            with self.subTest(day=day), self.assertRaises(Exception) as caught:
                client.change_file(day)
            self.assertEqual(caught.exception.http_status, 422)


@tagged("post_install", "-at_install")
class TestIysSwitch(AffinityCase):
    """Issue #35 item 8: an account blocks nothing until it is switched on, and the switch shows first what
    changes, then runs the first reconciliation in the same step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iys = IysStandIn().start()
        cls.addClassCleanup(cls.iys.stop)
        cls.company.write({"affinity_consent_mode": "opt_in", "affinity_relationship_commercial": True})

    def setUp(self):
        super().setUp()
        self.iys.consents.clear()
        self.iys.changes.clear()
        self.iys.failures.clear()
        self.iys.status_requests = 0
        self.iys.token_requests = 0
        self.iys.brand_names = {self.iys.brand_code: "Marka"}

    def new_account(self, **vals):
        """An account as an administrator saves it: no state given."""
        return self.env["affinity.iys.account"].create(
            {
                "company_id": self.company.id,
                "base_url": self.iys.url,
                "iys_code": self.iys.iys_code,
                "brand_code": self.iys.brand_code,
                "username": self.iys.username,
                "password": self.iys.password,
                "status_per_second": 1000,
                **vals,
            }
        )

    def person(self, name, number=None, email=None):
        return self.Partner.create(
            {"name": name, "mobile": number, "email": email, "company_id": self.company.id}
        )

    def reason(self, partner, channel="sms"):
        return partner._affinity_contact_decision(channel, "marketing", check_window=False)[partner.id].reason

    def consent(self, partner, channel):
        return partner.affinity_consent_ids.filtered(
            lambda c: c.channel_id.code == channel and c.purpose_id.code == "marketing"
        )

    def test_saving_an_account_blocks_nothing(self):
        ayse = self.person("Ayşe", "+90 532 000 00 01")
        ayse._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertEqual(self.reason(ayse), "granted")
        account = self.new_account()
        self.assertEqual(account.state, "draft")
        self.assertEqual(self.reason(ayse), "granted", "saving the account does not start blocking")
        self.assertFalse(self.company._affinity_iys_account())
        # Nothing goes to IYS before the switch either: the switch registers what was given meanwhile.
        mehmet = self.person("Mehmet", "+90 532 000 00 02")
        mehmet._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.assertFalse(self.consent(mehmet, "sms").iys_push_ids)
        calls = len(self.iys.calls)
        self.env.ref("crm_affinity.ir_cron_affinity_iys_push").method_direct_trigger()
        self.env.ref("crm_affinity.ir_cron_affinity_iys_pull").method_direct_trigger()
        self.assertEqual(
            len(self.iys.calls), calls, "the crons leave an account that is not switched on alone"
        )
        account.state = "on"
        self.assertEqual(self.reason(ayse), "iys_not_approved", "switched on, IYS's ONAY is required")

    @freeze_time("2026-12-07 09:00:00")  # Monday, 12:00 in Turkey
    def test_switch_counts_the_last_day_to_the_hour(self):
        """İzin Doğrulama Kuralları: "mevcut tarih ve saatten en fazla 3 iş günü geride": given on Wednesday at
        11:00 (Turkish time), a consent is IYS's until Monday 11:00, an hour ago; given at 13:00, for one hour
        more. Both are due today."""
        late = self.person("Given at 11:00", "+90 532 000 00 01")
        late._affinity_set_consent(
            "sms", "marketing", "granted", source="paper", date_given=datetime.datetime(2026, 12, 2, 8, 0)
        )
        in_time = self.person("Given at 13:00", "+90 532 000 00 02")
        in_time._affinity_set_consent(
            "sms", "marketing", "granted", source="paper", date_given=datetime.datetime(2026, 12, 2, 10, 0)
        )
        self.assertEqual(
            (self.consent(late, "sms") | self.consent(in_time, "sms")).mapped("iys_deadline"),
            [datetime.date(2026, 12, 7)] * 2,
        )
        account = self.new_account()
        wizard = self.env["affinity.iys.switch"].browse(account.action_switch_on()["res_id"])
        wizard.action_ask()
        line = wizard.line_ids.filtered(lambda line: line.iys_type == "MESAJ")
        self.assertEqual((line.grants, line.to_register, line.late), (2, 1, 1))

    @freeze_time("2026-12-07 09:00:00")  # Monday, 12:00 in Turkey; no public holiday until January
    def test_switch_shows_what_changes_then_switches_on(self):
        fri = datetime.datetime(2026, 12, 4, 10, 0)  # due Wednesday 9 December
        mon = datetime.datetime(2026, 12, 7, 8, 0)  # due Thursday 10 December
        old = datetime.datetime(2026, 11, 2, 10, 0)  # was due 5 November
        p1 = self.person("P1 register", "+90 532 000 00 01")
        p1._affinity_set_consent("sms", "marketing", "granted", source="paper", date_given=fri)
        p2 = self.person("P2 held", "+90 532 000 00 02")
        p2._affinity_set_consent("sms", "marketing", "granted", source="paper", date_given=mon)
        p2._affinity_set_consent("phone", "marketing", "granted", source="paper", date_given=mon)
        self.iys.citizen_says("+905320000002", "MESAJ", "ONAY", moment=datetime.datetime(2026, 12, 7, 10, 0))
        p3 = self.person("P3 late", "+90 532 000 00 03")
        p3._affinity_set_consent("sms", "marketing", "granted", source="paper", date_given=old)
        p4 = self.person("P4 abroad", "+31 6 12345678")
        p4._affinity_set_consent("sms", "marketing", "granted", source="paper", date_given=mon)
        p5 = self.person("P5 e-mail", email="p5@example.com")
        p5._affinity_set_consent("email", "marketing", "granted", source="web_form", date_given=mon)
        p6 = self.person("P6 said no at IYS", email="p6@example.com")
        p6._affinity_set_consent(
            "email", "marketing", "granted", source="paper", date_given=datetime.datetime(2026, 12, 1, 9, 0)
        )
        self.iys.citizen_says("p6@example.com", "EPOSTA", "RET", moment=datetime.datetime(2026, 12, 5, 11, 0))
        p7 = self.person("P7 said yes at IYS", email="p7@example.com")
        p7._affinity_set_consent(
            "email", "marketing", "denied", source="paper", date_given=datetime.datetime(2026, 11, 20, 9, 0)
        )
        self.iys.citizen_says(
            "p7@example.com", "EPOSTA", "ONAY", moment=datetime.datetime(2026, 12, 3, 11, 0)
        )
        p8 = self.person("P8 no", "+90 532 000 00 08")
        p8._affinity_set_consent("sms", "marketing", "denied", source="paper", date_given=mon)

        account = self.new_account()
        action = account.action_switch_on()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        lines = {line.iys_type: line for line in wizard.line_ids}
        self.assertEqual(set(lines), {"MESAJ", "ARAMA", "EPOSTA"})
        # Counted before IYS is asked: the grants that will need an ONAY (P1, P2, P3 | P2 | P5, P6) and the
        # number abroad (P4); IYS is asked about every consent it can hold: 8 (not P4).
        self.assertEqual(
            {t: (lines[t].grants, lines[t].not_concerned) for t in lines},
            {"MESAJ": (3, 1), "ARAMA": (1, 0), "EPOSTA": (2, 0)},
        )
        self.assertIn(" 8 ", wizard.ask_note)
        self.assertEqual(self.iys.status_requests, 0, "nothing asked before Ask IYS")

        wizard.action_ask()
        self.assertEqual(self.iys.status_requests, 8)
        self.assertEqual(account.state, "draft", "asking switches nothing on")
        self.assertEqual(self.reason(p1), "granted")
        figures = {
            t: (
                line.grants,
                line.held,
                line.to_register,
                line.deadline,
                line.late,
                line.taken,
                line.not_concerned,
            )
            for t, line in ((line.iys_type, line) for line in wizard.line_ids)
        }
        self.assertEqual(
            figures,
            {
                # P1 P2 P3 granted; IYS holds P2; P1 to register by 9 Dec; P3 past its days; P4 abroad
                "MESAJ": (3, 1, 1, datetime.date(2026, 12, 9), 1, 0, 1),
                # P2 by phone: IYS holds only the SMS approval
                "ARAMA": (1, 0, 1, datetime.date(2026, 12, 10), 0, 0, 0),
                # P5 to register; IYS's newer word for P6 (RET) and P7 (ONAY)
                "EPOSTA": (2, 0, 1, datetime.date(2026, 12, 10), 0, 2, 0),
            },
        )
        self.assertFalse(sum(wizard.line_ids.mapped("waiting")))
        self.assertIn(format_date(self.env, datetime.date(2026, 12, 9)), wizard.summary)

        wizard.action_confirm()
        self.assertEqual((account.state, account.switched_on_by_id), ("on", self.env.user))
        self.assertIn("IYS switched on", account.message_ids[:1].body)
        # The decision now requires IYS's ONAY: those IYS holds are allowed, the others wait for it.
        self.assertEqual(self.reason(p2), "granted")
        self.assertEqual(self.reason(p4), "granted", "a number abroad is not concerned")
        for partner, channel in ((p1, "sms"), (p2, "phone"), (p3, "sms"), (p5, "email")):
            with self.subTest(partner=partner.name):
                self.assertEqual(self.reason(partner, channel), "iys_not_approved")
        # IYS's newer word taken: P6's RET, P7's ONAY.
        self.assertEqual((self.consent(p6, "email").state, self.reason(p6, "email")), ("denied", "denied"))
        self.assertEqual((self.consent(p7, "email").state, self.reason(p7, "email")), ("granted", "granted"))
        self.assertEqual(self.consent(p7, "email").log_ids.sorted("id")[-1].source, "iys")
        # Ours queued for registration, with the deadline each consent carries; the late one is not sent.
        for partner, channel, due in (
            (p1, "sms", datetime.date(2026, 12, 9)),
            (p2, "phone", datetime.date(2026, 12, 10)),
            (p5, "email", datetime.date(2026, 12, 10)),
        ):
            with self.subTest(partner=partner.name, channel=channel):
                consent = self.consent(partner, channel)
                self.assertEqual(consent.iys_deadline, due)
                self.assertEqual(consent.iys_push_ids.mapped("state"), ["queued"])
        self.assertFalse(self.consent(p3, "sms").iys_push_ids, "IYS refuses it: more than 3 business days")
        self.assertIn(
            self.consent(p3, "sms"),
            self.env["affinity.consent"].search(self.company._affinity_iys_overdue_domain()),
        )
        for partner, channel in ((p2, "sms"), (p4, "sms"), (p6, "email"), (p7, "email"), (p8, "sms")):
            self.assertFalse(self.consent(partner, channel).iys_push_ids, partner.name)
        # The push registers them at IYS, which opens the decision.
        push = self.env.ref("crm_affinity.ir_cron_affinity_iys_push")
        push.method_direct_trigger()
        push.method_direct_trigger()
        self.assertEqual(self.reason(p1), "granted")
        self.assertEqual(self.reason(p5, "email"), "granted")
        # Switched on once.
        with self.assertRaises(UserError):
            account.action_switch_on()

    def test_registry_master_registers_nothing(self):
        ayse = self.person("Ayşe", "+90 532 000 00 01")
        ayse._affinity_set_consent("sms", "marketing", "granted", source="paper")
        account = self.new_account(mode="registry")
        wizard = self.env["affinity.iys.switch"].browse(account.action_switch_on()["res_id"])
        wizard.action_confirm()  # asks IYS first
        self.assertEqual(self.iys.status_requests, 1)
        line = wizard.line_ids.filtered(lambda line: line.iys_type == "MESAJ")
        self.assertEqual((line.grants, line.to_register, line.waiting), (1, 0, 1))
        self.assertEqual(account.state, "on")
        self.assertFalse(self.consent(ayse, "sms").iys_push_ids)
        self.assertEqual(self.reason(ayse), "iys_not_approved")

    def test_nothing_switches_on_when_iys_cannot_say(self):
        """A brand IYS does not know answers 404 like a recipient it holds nothing for: the switch finds the
        brand first, and neither a wrong brand nor an unreachable IYS switches anything on."""
        ayse = self.person("Ayşe", "+90 532 000 00 01")
        ayse._affinity_set_consent("sms", "marketing", "granted", source="paper")
        account = self.new_account(brand_code="999")
        wizard = self.env["affinity.iys.switch"].browse(account.action_switch_on()["res_id"])
        with self.assertRaisesRegex(UserError, "no brand 999"):
            wizard.action_confirm()
        self.assertEqual((account.state, self.iys.status_requests), ("draft", 0))
        account.brand_code = self.iys.brand_code
        self.iys.fail_next(503, after=2)  # the token and the brands answer, the first status fails
        with self.assertRaisesRegex(UserError, "server error \\(HTTP 503\\).*Nothing was sent"):
            wizard.action_confirm()
        self.assertEqual(account.state, "draft")
        self.assertEqual(self.reason(ayse), "granted")
        self.assertFalse(self.consent(ayse, "sms").iys_push_ids)
