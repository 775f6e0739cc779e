"""The public consent API, called as an integrator calls it: JSON-RPC through /jsonrpc."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import JsonRpcMixin


@tagged("post_install", "-at_install")
class TestConsentApi(JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.affinity_consent_mode = "opt_in"
        cls.integrator = new_test_user(
            cls.env, "aff_api_user", groups="base.group_user,crm_affinity.group_affinity_user"
        )
        cls.employee = new_test_user(cls.env, "aff_api_plain", groups="base.group_user")
        cls.outsider = new_test_user(cls.env, "aff_api_portal", groups="base.group_portal")
        cls.customer = cls.env["res.partner"].create(
            {"name": "API Ayşe", "email": "api.ayse@example.com", "mobile": "+90 532 444 00 11"}
        )
        cls.other = cls.env["res.partner"].create({"name": "API Other", "email": "api.other@example.com"})

    def test_ask_may_i(self):
        result, error = self.rpc(
            "aff_api_user", "affinity_check_contact", [self.customer.id], "email", "marketing"
        )
        self.assertFalse(error)
        self.assertEqual(
            result,
            [
                {
                    "partner_id": self.customer.id,
                    "allowed": False,
                    "reason": "not_asked_optin_mode",
                    "reason_label": "not asked — opt-in mode",
                    "next_allowed": False,
                }
            ],
        )
        # A plain employee may ask too: the rules are the same for everyone.
        result, error = self.rpc(
            "aff_api_plain", "affinity_check_contact", [self.customer.id], "email", "service"
        )
        self.assertEqual((result[0]["allowed"], result[0]["reason"]), (True, "not_required"))

    def test_record_a_yes_then_ask_again(self):
        result, error = self.rpc(
            "aff_api_user",
            "affinity_record_consent",
            self.customer.id,
            "phone",
            "marketing",
            "granted",
            "web_form",
            {"ref": "SHOP-CHECKOUT-42", "note": "Ticked at checkout"},
        )
        self.assertFalse(error)
        self.assertEqual((result["state"], result["decision"]["allowed"]), ("granted", True))
        log = self.env["affinity.consent.log"].search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertEqual(
            (log.new_state, log.source, log.proof_ref), ("granted", "web_form", "SHOP-CHECKOUT-42")
        )
        self.assertEqual(log.note, "Ticked at checkout")
        self.assertEqual(log.user_id, self.integrator)
        result, _error = self.rpc(
            "aff_api_user", "affinity_check_contact", [self.customer.id], "phone", "marketing"
        )
        self.assertTrue(result[0]["allowed"])

    def test_who_may_do_what(self):
        # A plain employee asks but does not record.
        _result, error = self.rpc(
            "aff_api_plain",
            "affinity_record_consent",
            self.customer.id,
            "email",
            "marketing",
            "granted",
            "web_form",
        )
        self.assertIn("Only Affinity users may record consent", error)
        # A portal user speaks only for themself, and only as a web form would.
        own = self.outsider.partner_id
        own.email = "portal.self@example.com"
        result, error = self.rpc("aff_api_portal", "affinity_check_contact", [own.id], "email", "marketing")
        self.assertFalse(error)
        self.assertEqual(result[0]["partner_id"], own.id)
        _result, error = self.rpc(
            "aff_api_portal", "affinity_check_contact", [self.customer.id], "email", "marketing"
        )
        self.assertIn("only about themself", error)
        result, error = self.rpc(
            "aff_api_portal", "affinity_record_consent", own.id, "sms", "marketing", "denied", "web_form"
        )
        self.assertFalse(error)
        self.assertEqual(result["state"], "denied")
        _result, error = self.rpc(
            "aff_api_portal", "affinity_record_consent", own.id, "sms", "marketing", "granted", "paper"
        )
        self.assertIn("web form only", error)
        _result, error = self.rpc(
            "aff_api_portal",
            "affinity_record_consent",
            self.customer.id,
            "phone",
            "marketing",
            "granted",
            "web_form",
        )
        self.assertIn("only about themself", error)
        self.assertFalse(self.customer.affinity_consent_ids)

    def test_bad_arguments_get_clear_errors(self):
        cases = [
            ((["x"], "email", "marketing"), "partner_ids must be a non-empty list"),
            (([], "email", "marketing"), "partner_ids must be a non-empty list"),
            (([999999999], "email", "marketing"), "No partner has the id(s) 999999999"),
            (([self.customer.id], "fax", "marketing"), "Unknown channel 'fax'"),
            (([self.customer.id], "email", "gossip"), "Unknown purpose 'gossip'"),
            (([self.customer.id], "email", "marketing", "tomorrow"), "'tomorrow' is not a moment"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                _result, error = self.rpc("aff_api_user", "affinity_check_contact", *args)
                self.assertIn(message, error)
        cases = [
            ((self.customer.id, "email", "marketing", "maybe", "web_form"), "Unknown consent state 'maybe'"),
            (
                (self.customer.id, "email", "marketing", "granted", "rumour"),
                "Unknown consent source 'rumour'",
            ),
            ((self.customer.id, "email", "marketing", "granted", "web_form", ["x"]), "proof is a dictionary"),
            (("7", "email", "marketing", "granted", "web_form"), "partner_id must be one partner id"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                _result, error = self.rpc("aff_api_user", "affinity_record_consent", *args)
                self.assertIn(message, error)
        self.assertFalse(self.customer.affinity_consent_ids, "nothing recorded from a bad call")

    def test_private_engine_stays_private(self):
        _result, error = self.rpc(
            "aff_api_user", "_affinity_contact_decision", [self.customer.id], "email", "marketing"
        )
        self.assertIn("Private methods", error)
