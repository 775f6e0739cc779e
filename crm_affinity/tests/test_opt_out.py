"""An opt-out always succeeds: whatever the person's consents, expiries and blacklist entries say, every way
out (Odoo's own unsubscribe routes and the addon's) answers as a success and leaves the person unreachable for
marketing on that channel."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged
from odoo.tools import SQL

from .test_doors import DoorCase

STATES = ("granted", "pending", "denied", "not_asked", None)
EXPIRIES = ("past", "future", None)
BLACKLIST = ("absent", "archived", "active")
CHANNELS = ("email", "sms", "whatsapp")
PATHS = ("mail_oneclick", "sms_unsubscribe", "preference_centre", "capture", "blacklist_add")


@tagged("post_install", "-at_install")
class TestOptOutAlwaysSucceeds(DoorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.affinity_consent_mode = "opt_out"
        common = {
            "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": [("id", "=", cls.customer.id)],
        }
        cls.mailing, cls.sms_mailing = cls.env["mailing.mailing"].create(
            [
                dict(common, name="Kış", subject="Kış", body_html="<p>Merhaba</p>"),
                dict(common, name="Kış SMS", subject="Kış SMS", mailing_type="sms", body_plaintext="Merhaba"),
            ]
        )
        cls.trace = cls.env["mailing.trace"].create(
            {
                "trace_type": "sms",
                "sms_code": "kis0001",
                "sms_number": "+905326000001",
                "mass_mailing_id": cls.sms_mailing.id,
                "model": "res.partner",
                "res_id": cls.customer.id,
            }
        )
        cls.channels = {code: cls.env["affinity.channel"]._get_by_code(code) for code in CHANNELS}

    def arrange(self, consents, blacklists):
        """Put the person in exactly this state, bypassing the syncs that would tidy it up."""
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM affinity_consent WHERE partner_id = %s", self.customer.id))
        self.env.cr.execute(SQL("DELETE FROM mail_blacklist"))
        self.env.cr.execute(SQL("DELETE FROM phone_blacklist"))
        self.env.invalidate_all()
        vals = []
        for code, (state, expiry) in consents.items():
            if state is None:
                continue
            vals.append(
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.channels[code].id,
                    "purpose_id": self.marketing.id,
                    "state": state,
                    "date_given": "2025-01-01 10:00:00",
                    "expiry_date": {"past": "2025-06-01", "future": "2099-01-01", None: False}[expiry],
                    "pending_until": "2025-01-08 10:00:00" if state == "pending" else False,
                    "pending_from_state": "denied" if state == "pending" else False,
                }
            )
        self.env["affinity.consent"].sudo().create(vals)
        self.env.flush_all()
        for model, address, column in (
            ("mail_blacklist", "deniz@example.com", "email"),
            ("phone_blacklist", "+905326000001", "number"),
        ):
            self.env.cr.execute(SQL("DELETE FROM %s", SQL.identifier(model)))
            if blacklists[model] != "absent":
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO %s (%s, active, create_date, write_date) VALUES (%s, %s, now(), now())",
                        SQL.identifier(model),
                        SQL.identifier(column),
                        address,
                        blacklists[model] == "active",
                    )
                )
        self.env.invalidate_all()

    def leave(self, path, channel):
        """Take one way out; returns the HTTP status (200 for the ORM door) and the channel it closed."""
        if path == "mail_oneclick":
            token = self.mailing._generate_mailing_recipient_token(self.customer.id, self.customer.email)
            response = self.url_open(
                f"/mailing/{self.mailing.id}/unsubscribe_oneclick",
                data={"document_id": self.customer.id, "email": self.customer.email, "hash_token": token},
            )
            return response.status_code, "email"
        if path == "sms_unsubscribe":
            response = self.url_open(
                f"/sms/{self.sms_mailing.id}/unsubscribe/{self.trace.sms_code}?sms_number=%2B905326000001"
            )
            return response.status_code, "sms"
        if path == "blacklist_add":
            self.env["mail.blacklist"].sudo()._add(self.customer.email)
            return 200, "email"
        if path == "capture":
            status, _body = self.post(
                self.payload(self.customer.email, consents=[(channel, "marketing", "denied")])
            )
            return status, channel
        link = self.centre._link(self.customer).split(self.customer.get_base_url(), 1)[1]
        html = self.url_open(link).text
        checked = set(re.findall(r'name="(offer_\d+_\d+)"\s+checked', html))
        checked.discard(f"offer_{self.channels[channel].id}_{self.marketing.id}")
        data = {
            "csrf_token": re.search(r'csrf_token: "([^"]+)"', html).group(1),
            "text_id": re.search(r'name="text_id" value="(\d+)"', html).group(1),
            **dict.fromkeys(checked, "on"),
        }
        return self.url_open(link, data=data).status_code, channel

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        consents=st.fixed_dictionaries(
            {code: st.tuples(st.sampled_from(STATES), st.sampled_from(EXPIRIES)) for code in CHANNELS}
        ),
        blacklists=st.fixed_dictionaries(
            {"mail_blacklist": st.sampled_from(BLACKLIST), "phone_blacklist": st.sampled_from(BLACKLIST)}
        ),
        path=st.sampled_from(PATHS),
        channel=st.sampled_from(CHANNELS),
    )
    def test_every_way_out_succeeds_from_every_state(self, consents, blacklists, path, channel):
        self.arrange(consents, blacklists)
        status, closed = self.leave(path, channel)
        self.assertEqual(status, 200, (path, consents, blacklists))
        decision = self.decision(self.customer, closed)
        self.assertFalse(decision.allowed, (path, channel, consents, blacklists, decision))
        self.assertIn(decision.reason, ("denied", "blacklisted"))
