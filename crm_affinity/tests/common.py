import datetime
import json
import re

from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL, mute_logger

MAIL_QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "no_reset_password": True,
}


def sms_answers(env, partner, sent_moments, opened, after=datetime.timedelta(minutes=20)):
    """An earlier SMS mailing's traces to ``partner``: one sent at each moment, the first ``opened`` of them
    opened ``after`` later; what the reachability learner reads."""
    reporting = env["mailing.mailing"].create(
        {
            "subject": "Earlier",
            "mailing_type": "sms",
            "body_plaintext": "Hi",
            "mailing_model_id": env.ref("base.model_res_partner").id,
        }
    )
    return env["mailing.trace"].create(
        [
            {
                "model": "res.partner",
                "res_id": partner.id,
                "trace_type": "sms",
                "trace_status": "open" if index < opened else "sent",
                "sent_datetime": sent,
                "open_datetime": sent + after if index < opened else False,
                "mass_mailing_id": reporting.id,
            }
            for index, sent in enumerate(sent_moments)
        ]
    )


def set_blacklist_rows(env, model, addresses=None, active=True):
    """Blacklist rows as another system or an older import left them: written in SQL, so the consent sync
    does not run (archive every row of the model when ``addresses`` is None)."""
    table = env[model]._table
    column = "email" if model == "mail.blacklist" else "number"
    env.flush_all()
    if addresses is None:
        env.cr.execute(SQL("UPDATE %s SET active = %s", SQL.identifier(table), active))
    for address in addresses or ():
        env.cr.execute(
            SQL(
                "INSERT INTO %s (%s, active, create_date, write_date) VALUES (%s, %s, now(), now())",
                SQL.identifier(table),
                SQL.identifier(column),
                address,
                active,
            )
        )
    env[model].invalidate_model()


def confirm_from_sms(case, partner):
    """Open the confirmation link of the newest SMS to ``partner`` and press its button, as the person does.

    Returns the page the button leads to."""
    sms = case.env["sms.sms"].sudo().search([("partner_id", "=", partner.id)], order="id desc", limit=1)
    link = re.search(r"(/affinity/confirm/\S+)", sms.body).group(1)
    html = case.url_open(link).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return case.url_open(link, data={"csrf_token": csrf}).text


class JsonRpcMixin:
    """Calls as an integrator makes them, for HttpCase classes."""

    def rpc(self, login, method, *args, **kwargs):
        """One execute_kw on res.partner over /jsonrpc: (result, error message)."""
        return self.rpc_on("res.partner", login, login, method, *args, **kwargs)

    def rpc_on(self, model, login, password, method, *args, **kwargs):
        """One execute_kw on ``model`` over /jsonrpc: (result, error message)."""
        uid = self.env["res.users"].search([("login", "=", login)]).id
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.env.cr.dbname, uid, password, model, method, list(args), kwargs],
            },
        }
        # Odoo logs a refused call as a warning; each test asserts the error it expects instead.
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"}
            ).json()
        error = response.get("error")
        return response.get("result"), error and error["data"]["message"]


class AffinityCase(TransactionCase):
    """Users of every kind, a couple of partners and the shipped configuration, without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **MAIL_QUIET))
        cls.company = cls.env.company
        cls.user_plain = new_test_user(
            cls.env,
            "aff_plain",
            groups="base.group_user,base.group_allow_export,sales_team.group_sale_salesman",
        )
        cls.user_affinity = new_test_user(
            cls.env,
            "aff_user",
            groups="crm_affinity.group_affinity_user,base.group_allow_export,sales_team.group_sale_salesman",
        )
        cls.user_scoped = new_test_user(
            cls.env,
            "aff_scoped",
            groups="crm_affinity.group_affinity_user,crm_affinity.group_affinity_own_only,"
            "sales_team.group_sale_salesman",
        )
        cls.user_manager = new_test_user(
            cls.env, "aff_manager", groups="crm_affinity.group_affinity_manager,sales_team.group_sale_manager"
        )
        cls.user_portal = new_test_user(cls.env, "aff_portal", groups="base.group_portal")
        cls.Partner = cls.env["res.partner"]
        cls.partner = cls.Partner.create(
            {
                "name": "Ayşe Yılmaz",
                "email": "ayse@example.com",
                "mobile": "+90 532 111 22 33",
                "street": "İstiklal Cd. 10",
                "city": "İstanbul",
                "tz": "Europe/Istanbul",
            }
        )
        cls.partner_other = cls.Partner.create(
            {
                "name": "John Smith",
                "email": "john@example.com",
                "phone": "+44 7911 123456",
                "tz": "Europe/London",
            }
        )
        cls.channel_email = cls.env.ref("crm_affinity.affinity_channel_email")
        cls.channel_sms = cls.env.ref("crm_affinity.affinity_channel_sms")
        cls.channel_phone = cls.env.ref("crm_affinity.affinity_channel_phone")
        cls.channel_post = cls.env.ref("crm_affinity.affinity_channel_post")
        cls.marketing = cls.env.ref("crm_affinity.affinity_purpose_marketing")
        cls.service = cls.env.ref("crm_affinity.affinity_purpose_service")
        cls.relationship = cls.env.ref("crm_affinity.affinity_purpose_relationship")
        cls.kind_birthday = cls.env.ref("crm_affinity.affinity_date_kind_birthday")
        cls.kind_wedding = cls.env.ref("crm_affinity.affinity_date_kind_wedding")
        cls.category_flowers = cls.env.ref("crm_affinity.affinity_preference_category_flowers")


# Turkey's public holidays of 2026, written by hand from the law on national and public holidays (No. 2429)
# and the Presidency of Religious Affairs' calendar, never read from the holidays library the code uses.
# The afternoons before Ramazan Bayramı, Kurban Bayramı and Republic Day are half days: working days.
TURKISH_HOLIDAYS_2026 = {
    datetime.date(2026, 1, 1): "Yılbaşı",
    datetime.date(2026, 3, 20): "Ramazan Bayramı 1",
    datetime.date(2026, 3, 21): "Ramazan Bayramı 2",
    datetime.date(2026, 3, 22): "Ramazan Bayramı 3",
    datetime.date(2026, 4, 23): "Ulusal Egemenlik ve Çocuk Bayramı",
    datetime.date(2026, 5, 1): "Emek ve Dayanışma Günü",
    datetime.date(2026, 5, 19): "Atatürk'ü Anma, Gençlik ve Spor Bayramı",
    datetime.date(2026, 5, 27): "Kurban Bayramı 1",
    datetime.date(2026, 5, 28): "Kurban Bayramı 2",
    datetime.date(2026, 5, 29): "Kurban Bayramı 3",
    datetime.date(2026, 5, 30): "Kurban Bayramı 4",
    datetime.date(2026, 7, 15): "Demokrasi ve Millî Birlik Günü",
    datetime.date(2026, 8, 30): "Zafer Bayramı",
    datetime.date(2026, 10, 29): "Cumhuriyet Bayramı",
}
TURKISH_HALF_DAYS_2026 = {datetime.date(2026, 3, 19), datetime.date(2026, 5, 26), datetime.date(2026, 10, 28)}
