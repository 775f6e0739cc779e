"""Fuzzing the doors reachable without login: whatever arrives, no 5xx, and nothing written unless accepted."""

import json
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .test_doors import DoorCase

EXAMPLES = 2000
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "deniz@example.com",
            "0532 600 00 01",
            "+905326000001",
            "tr_TR",
            "en_US",
            "sms",
            "email",
            "whatsapp",
            "marketing",
            "service",
            "granted",
            "denied",
            "pending",
            "not_asked",
            "",
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
LINE = st.fixed_dictionaries(
    {},
    optional={"channel": JSON, "purpose": JSON, "state": JSON},
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "email": JSON,
        "phone": JSON,
        "name": JSON,
        "lang": JSON,
        "text": JSON,
        "website": st.sampled_from(["", "x"]),
        "consents": st.lists(LINE, max_size=4) | JSON,
    },
)
FORM_KEYS = st.sampled_from(
    ["text_id", "lang", "do_not_contact", "offer_1_1", "offer_2_1", "csrf_token"]
) | st.text(max_size=12)
FORM = st.dictionaries(FORM_KEYS, st.text(max_size=30), max_size=6)
TOKEN = st.text(max_size=60) | st.builds(
    lambda a, b, c: f"{a}.{b}.{c}",
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
    st.text(alphabet="0123456789abcdef", max_size=70),
)


@tagged("post_install", "-at_install")
class TestDoorsFuzz(DoorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("crm_affinity.capture_limit_ip", 100000)
        cls.link = cls.centre._link(cls.customer).split(cls.customer.get_base_url(), 1)[1]

    def setUp(self):
        super().setUp()
        html = self.url_open(self.link).text
        self.csrf = re.search(r'csrf_token: "([^"]+)"', html).group(1)

    def assert_held(self, response, before, accepted=(200,)):
        self.assertLess(response.status_code, 500, response.text[:300])
        if response.status_code not in accepted:
            self.assertEqual(self.counts(), before, f"{response.status_code} wrote something")

    @FUZZ
    @given(body=PAYLOAD | JSON | st.binary(max_size=200))
    def test_capture(self, body):
        before = self.counts()
        raw = body if isinstance(body, bytes) else json.dumps(body)
        # Straight through the session: url_open turns an empty body into a GET.
        response = self.opener.post(
            f"{self.base_url()}/affinity/consent/capture",
            data=raw,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assert_held(response, before)
        if response.status_code >= 400:
            answer = response.json()
            self.assertTrue(answer["error"] and answer["field"])

    @FUZZ
    @given(form=FORM, post=st.booleans())
    def test_preferences(self, form, post):
        before = self.counts()
        if post:
            response = self.url_open(self.link, data=dict(form, csrf_token=self.csrf))
        else:
            query = "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in form.items())
            response = self.url_open(f"{self.link}?{query}")
        self.assert_held(response, before)

    @FUZZ
    @given(token=TOKEN, post=st.booleans())
    def test_confirmation(self, token, post):
        before = self.counts()
        path = f"/affinity/confirm/{quote(token, safe='')}"
        response = self.url_open(path, data={"csrf_token": self.csrf}) if post else self.url_open(path)
        self.assertLess(response.status_code, 500)
        self.assertNotIn("Yes, I confirm", response.text)
        self.assertEqual(self.counts(), before)
