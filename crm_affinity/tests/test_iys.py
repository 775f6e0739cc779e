"""IYS in the loop, driven through the real client against the stand-in server on 127.0.0.1."""

import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..tools.dates import add_business_days
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

    def decision(self, partner=None, channel="sms", purpose="marketing"):
        partner = partner or self.partner
        return partner._affinity_contact_decision(channel, purpose, check_window=False)[partner.id]

    def consent(self, channel="sms", partner=None):
        partner = partner or self.partner
        return partner.affinity_consent_ids.filtered(
            lambda c: c.channel_id.code == channel and c.purpose_id.code == "marketing"
        )

    def last_log(self, partner=None):
        partner = partner or self.partner
        return self.env["affinity.consent.log"].search([("partner_id", "=", partner.id)], limit=1)

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
        with self.assertRaisesRegex(UserError, "check the account's user name and password"):
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
        client.result(client.submit([push._payload()]))
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
        self.iys.citizen_says("+905332223344", "MESAJ", "RET")
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
        by_partner[self.partner].action_send_ours()
        self.assertEqual(len(self.consent().iys_push_ids), 2)


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
