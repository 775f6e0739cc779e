import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AffinityCase, set_blacklist_rows

MONDAY = datetime.date(2026, 7, 6)  # a summer Monday (London on BST)


@tagged("post_install", "-at_install")
class TestContactDecision(AffinityCase):
    def decide(self, partner, channel, purpose, when=None, check_window=True):
        return partner._affinity_contact_decision(channel, purpose, when=when, check_window=check_window)[
            partner.id
        ]

    def set_mode(self, mode, commercial=False):
        self.company.write({"affinity_consent_mode": mode, "affinity_relationship_commercial": commercial})

    def test_state_by_mode_matrix(self):
        # (purpose, consent state, mode, commercial greetings) -> (allowed, reason)
        expected = {
            ("marketing", "granted", "opt_out", False): (True, "granted"),
            ("marketing", "granted", "opt_in", False): (True, "granted"),
            ("marketing", "denied", "opt_out", False): (False, "denied"),
            ("marketing", "denied", "opt_in", False): (False, "denied"),
            ("marketing", None, "opt_out", False): (True, "not_asked_optout_mode"),
            ("marketing", None, "opt_in", False): (False, "not_asked_optin_mode"),
            ("service", None, "opt_in", False): (True, "not_required"),
            ("service", "denied", "opt_out", False): (False, "denied"),
            ("relationship", None, "opt_in", False): (True, "not_required"),
            ("relationship", None, "opt_in", True): (False, "not_asked_optin_mode"),
            ("relationship", None, "opt_out", True): (True, "not_asked_optout_mode"),
            ("relationship", "granted", "opt_in", True): (True, "granted"),
        }
        serial = 0
        for channel in ("email", "sms", "phone"):
            for (purpose, state, mode, commercial), (allowed, reason) in expected.items():
                serial += 1
                with self.subTest(
                    channel=channel, purpose=purpose, state=state, mode=mode, commercial=commercial
                ):
                    partner = self.Partner.create(
                        {
                            "name": f"M{serial}",
                            "email": f"m{serial}@example.com",
                            "mobile": f"+90 532 000 {serial:04d}",
                            "phone": f"+90 212 000 {serial:04d}",
                        }
                    )
                    self.set_mode(mode, commercial)
                    if state:
                        partner._affinity_set_consent(channel, purpose, state, source="web_form")
                    decision = self.decide(partner, channel, purpose)
                    self.assertEqual((decision.allowed, decision.reason), (allowed, reason))

    def test_greetings_follow_marketing_denial_when_commercial(self):
        self.set_mode("opt_out", commercial=True)
        self.partner._affinity_set_consent("email", "marketing", "denied")
        self.assertEqual(self.decide(self.partner, "email", "relationship").reason, "denied")
        self.set_mode("opt_out", commercial=False)
        self.assertEqual(self.decide(self.partner, "email", "relationship").reason, "not_required")

    def test_turkish_company_defaults_to_commercial_greetings(self):
        company = self.env["res.company"].create({"name": "TR Co", "country_id": self.env.ref("base.tr").id})
        self.assertTrue(company.affinity_relationship_commercial)
        # KVKK / IYS: a Turkish company starts in opt-in mode (test_promise covers the scope setting).
        self.assertEqual(company.affinity_consent_mode, "opt_in")
        other = self.env["res.company"].create({"name": "DE Co", "country_id": self.env.ref("base.de").id})
        self.assertFalse(other.affinity_relationship_commercial)
        self.assertEqual(other.affinity_consent_mode, "opt_out")

    def test_do_not_contact_wins(self):
        self.partner._affinity_set_consent("email", "marketing", "granted")
        self.partner.affinity_do_not_contact = True
        for purpose in ("marketing", "service", "relationship"):
            self.assertEqual(self.decide(self.partner, "email", purpose).reason, "do_not_contact")

    def test_missing_address(self):
        partner = self.Partner.create({"name": "Nobody"})
        for channel in ("email", "sms", "phone", "post"):
            with self.subTest(channel=channel):
                decision = self.decide(partner, channel, "service")
                self.assertEqual((decision.allowed, decision.reason), (False, "no_address"))
        partner.write({"street": "Bağdat Cd. 5", "city": "İstanbul"})
        self.assertTrue(self.decide(partner, "post", "service").allowed)

    def test_blacklists(self):
        set_blacklist_rows(self.env, "mail.blacklist", ["ayse@example.com"])
        self.assertEqual(self.decide(self.partner, "email", "marketing").reason, "blacklisted")
        # Service messages are not marketing: Odoo's blacklist does not stop them either.
        self.assertTrue(self.decide(self.partner, "email", "service").allowed)
        # Every number counts: this partner's *phone* (not mobile) is blacklisted.
        self.assertEqual(self.decide(self.partner_other, "sms", "marketing").reason, "not_asked_optout_mode")
        set_blacklist_rows(self.env, "phone.blacklist", ["+447911123456"])
        self.assertEqual(self.decide(self.partner_other, "sms", "marketing").reason, "blacklisted")
        self.partner_other.mobile = "+44 7911 654321"
        self.assertEqual(self.decide(self.partner_other, "sms", "marketing").reason, "blacklisted")
        self.partner_other.phone = False
        self.assertEqual(self.decide(self.partner_other, "sms", "marketing").reason, "not_asked_optout_mode")

    def test_expired_consent(self):
        self.partner._affinity_set_consent("sms", "marketing", "granted")
        consent = self.partner.affinity_consent_ids
        consent.write({"date_given": "2024-01-01 10:00:00", "expiry_date": "2025-01-01"})
        self.set_mode("opt_in")
        self.assertEqual(self.decide(self.partner, "sms", "marketing").reason, "expired")
        consent.expiry_date = "2099-01-01"
        self.assertEqual(self.decide(self.partner, "sms", "marketing").reason, "granted")

    def test_unknown_channel(self):
        with self.assertRaises(UserError):
            self.partner._affinity_contact_decision("pigeon", "marketing")

    # -- contact windows ---------------------------------------------------------------

    def window(self, partner, weekday, start, end, channel=None, company=None):
        return self.env["affinity.contact.window"].create(
            {
                "partner_id": partner.id if partner else False,
                "company_id": (company or self.company).id,
                "channel_id": channel.id if channel else False,
                "weekday": str(weekday),
                "hour_from": start,
                "hour_to": end,
            }
        )

    def test_window_in_partner_timezone(self):
        self.window(self.partner, 0, 9, 18)  # Istanbul is UTC+3 all year
        inside = datetime.datetime.combine(MONDAY, datetime.time(7, 0))
        self.assertEqual(self.decide(self.partner, "email", "service", inside).reason, "not_required")
        early = datetime.datetime.combine(MONDAY, datetime.time(5, 0))  # 08:00 in Istanbul
        decision = self.decide(self.partner, "email", "service", early)
        self.assertEqual(decision.reason, "outside_window")
        self.assertFalse(decision.allowed)
        self.assertEqual(decision.next_allowed, datetime.datetime.combine(MONDAY, datetime.time(6, 0)))
        late = datetime.datetime.combine(MONDAY, datetime.time(16, 0))  # 19:00 in Istanbul: next Monday
        self.assertEqual(
            self.decide(self.partner, "email", "service", late).next_allowed,
            datetime.datetime.combine(MONDAY + datetime.timedelta(days=7), datetime.time(6, 0)),
        )

    def test_window_with_daylight_saving(self):
        self.window(self.partner_other, 0, 9, 17)  # London
        summer = datetime.datetime.combine(MONDAY, datetime.time(7, 30))  # 08:30 BST
        self.assertEqual(
            self.decide(self.partner_other, "phone", "service", summer).next_allowed,
            datetime.datetime.combine(MONDAY, datetime.time(8, 0)),
        )
        winter_monday = datetime.date(2026, 1, 5)
        winter = datetime.datetime.combine(winter_monday, datetime.time(8, 30))  # 08:30 GMT
        self.assertEqual(
            self.decide(self.partner_other, "phone", "service", winter).next_allowed,
            datetime.datetime.combine(winter_monday, datetime.time(9, 0)),
        )
        # Across the spring change (Sunday 29 March 2026, 01:00 UTC): Sunday 09:00 BST is 08:00 UTC.
        self.window(self.partner_other, 6, 9, 12)
        saturday_night = datetime.datetime(2026, 3, 28, 20, 0)
        self.assertEqual(
            self.decide(self.partner_other, "phone", "service", saturday_night).next_allowed,
            datetime.datetime(2026, 3, 29, 8, 0),
        )

    def test_channel_window_and_company_fallback(self):
        self.window(self.partner, 0, 9, 18)
        self.window(self.partner, 0, 12, 13, channel=self.channel_sms)
        ten_local = datetime.datetime.combine(MONDAY, datetime.time(7, 0))
        self.assertTrue(self.decide(self.partner, "email", "service", ten_local).allowed)
        sms = self.decide(self.partner, "sms", "service", ten_local)
        self.assertEqual(sms.next_allowed, datetime.datetime.combine(MONDAY, datetime.time(9, 0)))
        # No window of their own: the company's default applies; Friday evening waits for Monday.
        self.window(False, 0, 10, 12)
        friday_evening = datetime.datetime(2026, 7, 10, 19, 0)
        decision = self.decide(self.partner_other, "email", "service", friday_evening)
        self.assertEqual(decision.next_allowed, datetime.datetime(2026, 7, 13, 9, 0))
        self.assertTrue(
            self.decide(self.partner_other, "email", "service", friday_evening, check_window=False).allowed
        )

    def test_decision_is_set_based(self):
        partners = self.Partner.create([{"name": f"P{i}", "email": f"p{i}@example.com"} for i in range(300)])
        partners[:100]._affinity_set_consent("email", "marketing", "denied")
        self.window(False, 0, 9, 18)
        counts = []
        partners[:1]._affinity_contact_decision("email", "marketing")  # warm the registry-wide xmlid cache
        for subset in (partners[:10], partners):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            decisions = subset._affinity_contact_decision("email", "marketing")
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(len(decisions), len(subset))
        self.assertEqual(counts[0], counts[1], "query count must not grow with the number of partners")
        self.assertLessEqual(counts[1], 12)
