"""The information file and consents of every customer."""

from ..models.affinity_date import next_occurrence
from .names import GIFTS, LIKES


class FilesMixin:
    """The information file and consents of every customer."""

    # ------------------------------------------------------------------
    # the information file
    # ------------------------------------------------------------------

    def make_affinity_files(self):
        rng = self.rng
        profiles, prefs, gifts, dates = [], [], [], []
        for customer in self.customers:
            pid = customer["id"]
            if rng.random() < 0.5:
                opener = f"<p>Asked about {rng.choice(['her garden', 'his new shop', 'the kids', 'the trip to Kapadokya'])}.</p>"
                profiles.append(
                    (
                        pid,
                        customer["salutation"],
                        customer["first"] if rng.random() < 0.2 else None,
                        opener,
                        None,
                    )
                )
            if rng.random() < 0.3:
                for category, polarity, text in rng.sample(LIKES, rng.randint(1, 3)):
                    prefs.append((pid, self.categories[category], polarity, text))
            if rng.random() < 0.1:
                gift, cost = rng.choice(GIFTS)
                gifts.append(
                    (
                        pid,
                        self.random_date(customer["acquired"], self.today),
                        "New year",
                        gift,
                        cost,
                        self.currency,
                        rng.choice(["loved", "fine", "disliked"]),
                        self.categories["gift"],
                    )
                )
            if not customer["is_company"] and rng.random() < 0.7:
                year = rng.randint(1950, 2003) if rng.random() < 0.6 else None
                month, day = rng.randint(1, 12), rng.randint(1, 28)
                if rng.random() < 0.004:
                    month, day, year = 2, 29, rng.choice([1960, 1972, 1984, 1996, 2000])
                dates.append(
                    (
                        pid,
                        self.kinds["birthday"],
                        None,
                        day,
                        str(month),
                        year,
                        True,
                        3,
                        next_occurrence(day, month, year, True, self.today),
                    )
                )
            if not customer["is_company"] and rng.random() < 0.2:
                year = rng.randint(1980, 2020)
                month, day = rng.randint(1, 12), rng.randint(1, 28)
                dates.append(
                    (
                        pid,
                        self.kinds["wedding"],
                        None,
                        day,
                        str(month),
                        year,
                        True,
                        3,
                        next_occurrence(day, month, year, True, self.today),
                    )
                )
            if rng.random() < 0.3:
                acquired = customer["acquired"]
                dates.append(
                    (
                        pid,
                        self.kinds["customer_since"],
                        None,
                        acquired.day,
                        str(acquired.month),
                        acquired.year,
                        True,
                        7,
                        next_occurrence(acquired.day, acquired.month, acquired.year, True, self.today),
                    )
                )
        self.bulk_copy(
            "affinity_profile",
            ["partner_id", "salutation", "nickname", "conversation_openers", "notes"],
            profiles,
        )
        self.bulk_copy("affinity_preference", ["partner_id", "category_id", "polarity", "name"], prefs)
        self.bulk_copy(
            "affinity_gift",
            ["partner_id", "date", "occasion", "name", "cost", "currency_id", "reaction", "category_id"],
            gifts,
        )
        self.bulk_copy(
            "affinity_date",
            ["partner_id", "kind_id", "name", "day", "month", "year", "recurring", "lead_days", "next_date"],
            dates,
        )
        by_id = {customer["id"]: customer for customer in self.customers}
        for partner_id, _kind_id, _name, _day, _month, _year, _recurring, _lead, next_date in dates:
            customer = by_id[partner_id]
            if next_date and (not customer.get("next_date") or next_date < customer["next_date"]):
                customer["next_date"] = next_date

    # ------------------------------------------------------------------
    # consents
    # ------------------------------------------------------------------

    def make_consents(self):
        rng = self.rng
        consents = []
        for customer in self.customers:
            for channel, share in (("email", 0.6), ("sms", 0.4), ("phone", 0.15)):
                if rng.random() >= share:
                    continue
                state = "granted" if rng.random() < 0.75 else "denied"
                given = self.random_datetime(customer["acquired"])
                source = rng.choice(["web_form", "paper", "call_centre", "event", "iys"])
                consents.append(
                    (
                        customer["id"],
                        self.channels[channel],
                        self.purposes["marketing"],
                        state,
                        "consent",
                        given,
                        source,
                        f"DOC-{customer['id']}-{channel}",
                        1,
                        given,
                        given,
                    )
                )
            if rng.random() < 0.2:
                given = self.random_datetime(customer["acquired"])
                consents.append(
                    (
                        customer["id"],
                        self.channels["email"],
                        self.purposes["relationship"],
                        "granted",
                        "consent",
                        given,
                        "web_form",
                        None,
                        1,
                        given,
                        given,
                    )
                )
        ids = self.reserve_ids("affinity_consent", len(consents))
        names = {customer["id"]: (customer["name"], customer["email"]) for customer in self.customers}
        self.bulk_copy(
            "affinity_consent",
            [
                "id",
                "partner_id",
                "channel_id",
                "purpose_id",
                "state",
                "legal_basis",
                "date_given",
                "source",
                "proof_ref",
                "recorded_by_id",
                "create_date",
                "write_date",
            ],
            [(cid, *row) for cid, row in zip(ids, consents, strict=True)],
        )
        self.bulk_copy(
            "affinity_consent_log",
            [
                "consent_id",
                "partner_id",
                "partner_name",
                "partner_address",
                "channel_id",
                "purpose_id",
                "new_state",
                "legal_basis",
                "source",
                "proof_ref",
                "consent_date",
                "user_id",
                "create_date",
                "create_uid",
            ],
            [
                (
                    cid,
                    row[0],
                    names[row[0]][0],
                    names[row[0]][1],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[6],
                    row[7],
                    row[5],
                    1,
                    row[5],
                    1,
                )
                for cid, row in zip(ids, consents, strict=True)
            ],
        )
