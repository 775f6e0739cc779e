import datetime
import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, email_normalize

from ..tools.batching import read_ahead
from ..tools.dates import TURKISH_PUBLIC_HOLIDAYS, days_covered, turkish_to_utc, utc_to_turkish
from ..tools.inputs import normalize_email
from ..tools.iys import IYS_SOURCES, SOURCE_TO_IYS
from ..tools.phone import phone_key, phone_key_sql
from ..tools.sql import LARGE_ID_SET, IdSet, array_literal, id_array

# (typed number, the line it stands for)
NUMBERS = [
    # Turkish mobile, every way people type it
    ("+90 532 123 45 67", "5321234567"),
    ("0532 123 45 67", "5321234567"),
    ("05321234567", "5321234567"),
    ("5321234567", "5321234567"),
    ("0090 (532) 123-45-67", "5321234567"),
    ("+90.532.123.45.67", "5321234567"),
    # Turkish landline, with and without the country and trunk prefixes
    ("+90 212 674 85 28", "2126748528"),
    ("0212 674 85 28", "2126748528"),
    ("(0212) 6748528", "2126748528"),
    # foreign numbers: the last ten digits
    ("+44 7911 123456", "7911123456"),
    ("+1 (415) 555-0134", "4155550134"),
    ("+49 30 901820", "4930901820"),
    # extensions are not part of the line
    ("+90 212 674 85 28 ext. 42", "2126748528"),
    ("0212 674 85 28 dahili 105", "2126748528"),
    ("0212 674 85 28 x42", "2126748528"),
    ("0212 674 85 28#7", "2126748528"),
    ("0212 674 85 28; 0532 123 45 67", "2126748528"),
    ("Fax: 0212 674 85 29", "2126748529"),
    ("Fax 0212 674 85 29", "2126748529"),
    ("Next: 0532 123 45 67", "5321234567"),
    ("EXT 9 after nothing", ""),
    # short numbers and garbage are no line at all
    ("112", ""),
    ("123456", ""),
    ("1234567", "1234567"),
    ("call me", ""),
    ("", ""),
    (None, ""),
    ("٠٥٣٢١٢٣٤٥٦٧", ""),
]


@tagged("post_install", "-at_install")
class TestTools(TransactionCase):
    def test_phone_key_python_and_sql_agree(self):
        """The one phone rule: Python and SQL give every number the same key."""
        numbers = [number for number, _key in NUMBERS]
        rows = self.env.execute_query(
            SQL(
                "SELECT n.number, %(key)s FROM unnest(%(numbers)s::text[]) WITH ORDINALITY AS n(number, i) ORDER BY i",
                key=phone_key_sql(SQL("n.number")),
                numbers=numbers,
            )
        )
        for (number, expected), (_number, sql_key) in zip(NUMBERS, rows, strict=True):
            with self.subTest(number=number):
                self.assertEqual(phone_key(number), expected)
                self.assertEqual(sql_key or "", expected)

    def test_plain_addresses_normalise_as_odoo_does(self):
        """The pull's shortcut for plain addresses gives what Odoo's parser gives, and leaves it the rest."""
        written = {
            "Ayse.Yilmaz@Example.COM.TR": "ayse.yilmaz@example.com.tr",
            "a_b+c-d@x-y.z": "a_b+c-d@x-y.z",
            "KISI@localhost": "kisi@localhost",
            "Ayşe <AYSE@Example.com>": "ayse@example.com",
            "Çağla@Example.com": "Çağla@example.com",
            "a..b@example.com": None,
            "first@example.com, second@example.com": False,
            "not an address": False,
            "": False,
        }
        for address, expected in written.items():
            with self.subTest(address=address):
                self.assertEqual(normalize_email(address), email_normalize(address))
                if expected is not None:
                    self.assertEqual(normalize_email(address), expected)

    def test_iys_source_codes_are_iys_codes(self):
        self.assertLessEqual(set(SOURCE_TO_IYS.values()), set(IYS_SOURCES))

    def test_id_sets_of_every_size_select_the_same_rows(self):
        """A mass mailing's id set (kept from the planner's estimate) selects exactly what a small one does."""
        partners = self.env["res.partner"].create([{"name": f"Ids {i}"} for i in range(3)])
        self.env.flush_all()
        small = [partners[0].id, partners[2].id]
        # The same two partners among ids that match nothing, past the size where the form changes.
        large = small + list(range(-LARGE_ID_SET, 0))
        self.assertIn("COALESCE", IdSet(large).contains(SQL("id")).code)
        self.assertNotIn("COALESCE", IdSet(small).contains(SQL("id")).code)
        for ids in (small, large):
            rows = self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE %s ORDER BY id", IdSet(ids).contains(SQL("id")))
            )
            self.assertEqual([row[0] for row in rows], small)

    def test_id_array_reads_back_as_the_same_ids(self):
        """The array literal built from a list's text is the ids PostgreSQL reads, for a tuple or one id too."""
        for ids in ([3, 1, 2], (7,), range(5, 9), []):
            [(read,)] = self.env.execute_query(SQL("SELECT %s::int[]", id_array(ids)))
            self.assertEqual(read, list(ids))

    def test_turkish_public_holidays_and_half_days(self):
        """Whole days off in Turkey (Law 2429; the Bayrams as Diyanet dates them), for any year without
        anyone entering them; the eves (half days from 13:00) stay business days."""
        for day in (
            "2026-01-01",
            "2026-03-20",
            "2026-05-27",
            "2026-05-29",
            "2026-10-29",
            "2027-03-09",
            "2027-05-18",
            "2028-02-28",
            "2028-07-15",
            "2035-10-29",
        ):
            with self.subTest(day=day):
                self.assertIn(datetime.date.fromisoformat(day), TURKISH_PUBLIC_HOLIDAYS)
        for day in ("2026-03-19", "2026-05-26", "2026-10-28", "2027-03-08", "2028-02-25", "2026-12-07"):
            with self.subTest(day=day):
                self.assertNotIn(datetime.date.fromisoformat(day), TURKISH_PUBLIC_HOLIDAYS)

    def test_days_covered_by_time_off(self):
        """A day counts as off when the time off covers its working hours, in the calendar's time zone."""
        office = [(8.0, 12.0), (13.0, 17.0)]

        def days(start, end, tz="Europe/Istanbul"):
            return days_covered(
                datetime.datetime.fromisoformat(start),
                datetime.datetime.fromisoformat(end),
                tz,
                lambda _w: office,
            )

        thursday, wednesday = datetime.date(2026, 10, 29), datetime.date(2026, 10, 28)
        # The whole of Thursday in Istanbul (from 21:00 UTC the day before).
        self.assertEqual(days("2026-10-28 21:00:00", "2026-10-29 20:59:59"), {thursday})
        # Entered as the working hours only (08:00-17:00 in Istanbul, Odoo's default for a new one).
        self.assertEqual(days("2026-10-29 05:00:00", "2026-10-29 14:00:00"), {thursday})
        # The afternoon off before the holiday (from 13:00 in Istanbul): Wednesday is still worked.
        self.assertEqual(days("2026-10-28 10:00:00", "2026-10-29 20:59:59"), {thursday})
        self.assertNotIn(wednesday, days("2026-10-28 10:00:00", "2026-10-28 20:59:59"))
        # A day in UTC is not a day in Istanbul's night: only the day whose working hours it covers.
        self.assertEqual(days("2026-10-29 00:00:00", "2026-10-29 23:59:59"), {thursday})


@tagged("post_install", "-at_install")
class TestReadAhead(TransactionCase):
    """``read_ahead``: the next page travels while this one is written; what it gives, and when it stops."""

    def test_order_and_the_next_item_taken_meanwhile(self):
        taken = []
        second_taken = threading.Event()

        def items():
            for n in range(4):
                taken.append(n)
                if n == 1:
                    second_taken.set()
                yield n

        seen = []
        for item in read_ahead(items()):
            if item == 0:
                # The consumer is still on the first item: the second is being taken meanwhile.
                self.assertTrue(second_taken.wait(5), "the next item is taken while this one is handled")
            seen.append(item)
        self.assertEqual(seen, [0, 1, 2, 3])
        self.assertEqual(taken, [0, 1, 2, 3])

    def test_an_error_comes_after_the_items_before_it(self):
        def items():
            yield "first"
            yield "second"
            raise ValueError("page three")

        seen = []
        with self.assertRaisesRegex(ValueError, "page three"):
            for item in read_ahead(items()):
                seen.append(item)
        self.assertEqual(seen, ["first", "second"])

    def test_a_consumer_that_stops_stops_the_reading(self):
        taken = []

        def items():
            for n in range(1000):
                taken.append(n)
                yield n

        for item in read_ahead(items()):
            if item == 2:
                break
        self.assertLessEqual(len(taken), 5, "at most a page or two beyond the one the consumer stopped at")
        self.assertFalse(
            [thread for thread in threading.enumerate() if thread.name == "crm_affinity.read_ahead"],
            "the reading thread ended",
        )

    def test_only_the_next_item_is_taken_meanwhile(self):
        """One item ahead: while the consumer is on an item, the next one is taken and no other."""
        took = [threading.Event() for _n in range(10)]

        def items():
            for n in range(10):
                took[n].set()
                yield n

        reader = read_ahead(items())
        try:
            self.assertEqual(next(reader), 0)
            self.assertTrue(took[1].wait(5), "the next item is taken meanwhile")
            # A chance for a reader running further ahead to show itself (a slow machine only hides it).
            time.sleep(0.2)
            self.assertFalse(took[2].is_set(), "the item after the next waits until the next is taken")
            self.assertEqual(next(reader), 1)
            self.assertTrue(took[2].wait(5))
        finally:
            reader.close()
        self.assertEqual(list(read_ahead(iter(range(5)))), [0, 1, 2, 3, 4])

    def test_an_iterator_that_dies_never_leaves_the_consumer_waiting(self):
        """Whatever ends the reading thread (an exception outside ``Exception`` too) reaches the consumer,
        which must not wait for ever for an item that never comes."""

        class Ended(BaseException):
            pass

        def items():
            yield "first"
            raise Ended("the thread ends")

        seen = []

        def consume():
            try:
                for item in read_ahead(items()):
                    seen.append(item)
            except Ended as error:
                seen.append(error)

        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        consumer.join(5)
        self.assertFalse(consumer.is_alive(), "the consumer waits for ever")
        self.assertEqual(seen[0], "first")
        self.assertIsInstance(seen[1], Ended)

    def test_array_literal(self):
        self.assertEqual(array_literal([3, 1, 2]), "{3,1,2}")
        self.assertEqual(array_literal([]), "{}")
        self.assertEqual(array_literal([1, None, True]), "{1,NULL,t}")
        self.assertEqual(array_literal(['a"b', "c\\d", None]), '{"a\\"b","c\\\\d",NULL}')
        self.assertEqual(array_literal(range(3)), "{0,1,2}")
        row = self.env.execute_query(
            SQL("SELECT %s::int[], %s::varchar[]", array_literal([5, 6]), array_literal(['x"y', None]))
        )[0]
        self.assertEqual(row, ([5, 6], ['x"y', None]))

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.lists(st.none() | st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",))))
    )
    def test_array_literal_of_texts_is_what_the_server_reads(self, values):
        """The server, not our reading of its syntax, says what the literal holds: quotes, backslashes,
        braces, commas, spaces, the word NULL and empty texts included (any text PostgreSQL can hold: no NUL,
        no lone surrogate)."""
        row = self.env.execute_query(SQL("SELECT %s::varchar[]", array_literal(values)))[0]
        self.assertEqual(row[0], values)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.lists(st.none() | st.integers(-(2**31), 2**31 - 1)),
        st.lists(st.none() | st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1))),
    )
    def test_array_literal_of_ids_and_moments_is_what_the_server_reads(self, ids, moments):
        row = self.env.execute_query(
            SQL("SELECT %s::int[], %s::timestamp[]", array_literal(ids), array_literal(moments))
        )[0]
        self.assertEqual(row, (ids, moments))

    def test_gmt_plus_3_for_iys_dates_of_any_year(self):
        """İzin Doğrulama Kuralları: "İzinlerin saat dilimi GMT+3 kabul edilir", also for a winter before
        September 2016, when Istanbul's clocks said GMT+2."""
        for turkish, utc in (
            ("2015-12-01 10:00:00", datetime.datetime(2015, 12, 1, 7, 0)),
            ("2015-05-01 00:00:00", datetime.datetime(2015, 4, 30, 21, 0)),
            ("2026-12-06 02:30:00", datetime.datetime(2026, 12, 5, 23, 30)),
        ):
            with self.subTest(turkish=turkish):
                self.assertEqual(turkish_to_utc(turkish), utc)
                self.assertEqual(utc_to_turkish(utc), turkish)

    def test_array_literal_never_splits_a_value_holding_nul(self):
        """A NUL inside a value (JSON may carry one) is refused by the server, never read as a separator."""
        self.assertEqual(array_literal(["a\x00,b"]), '{"a\x00,b"}')

    def test_codes_resolved_from_a_cache_that_follows_the_records(self):
        Channel = self.env["affinity.channel"]
        self.assertEqual(Channel._get_by_code("sms"), self.env.ref("crm_affinity.affinity_channel_sms"))
        telegram = Channel.create(
            {"name": "Telegram", "code": "telegram", "address_kind": "mobile", "blacklist_kind": "none"}
        )
        self.assertEqual(Channel._get_by_code("telegram"), telegram)
        telegram.code = "tg"
        self.assertFalse(Channel._get_by_code("telegram"), "the old code resolves to nothing")
        self.assertEqual(Channel._get_by_code("tg"), telegram)
        telegram.active = False
        self.assertEqual(Channel._get_by_code("tg"), telegram, "an archived channel is still resolved")
        telegram.unlink()
        self.assertFalse(Channel._get_by_code("tg"))
        self.assertFalse(Channel._get_by_code("nowhere"))
