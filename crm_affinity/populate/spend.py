"""Marketing spend per source and month, and complaints."""

import datetime
import random


class SpendMixin:
    """Marketing spend per source and month, and complaints."""

    # ------------------------------------------------------------------
    # spend and the relationship dates
    # ------------------------------------------------------------------

    def make_spend(self):
        """Monthly spend per source and yearly campaign, sized so each source's CAC is near its profile."""
        acquired = {}
        for customer in self.customers:
            key = (customer["source"], customer["acquired"].year, customer["acquired"].month)
            acquired[key] = acquired.get(key, 0) + 1
        rows = []
        for (source_index, year, month), count in sorted(acquired.items()):
            source = self.sources[source_index]
            if not source["cac"]:
                continue
            first = datetime.date(year, month, 1)
            last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            pilot = source.get("pilot")
            in_pilot = bool(pilot) and year == pilot[0] and month in pilot[1]
            cost = source["cac"] * (pilot[3] if in_pilot else 1.0)
            amount = round(count * cost * self.rng.uniform(0.8, 1.2), 2)
            rows.append(
                (
                    f"{source['name']} {first:%B %Y}",
                    first,
                    last,
                    self.campaign_for(source, first),
                    source["source"],
                    source["medium"],
                    amount,
                    self.currency,
                    self.company.id,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
        self.bulk_copy(
            "affinity_marketing_spend",
            [
                "name",
                "date_from",
                "date_to",
                "campaign_id",
                "source_id",
                "medium_id",
                "amount",
                "currency_id",
                "company_id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            rows,
        )

    def make_complaints(self):
        """A few serial complainers (3-6 complaints in five months) and occasional one-off complaints."""
        rng = random.Random(self.rng_seed + 7)  # own stream: the rest of the dataset stays as it was
        subjects = [
            "Late delivery",
            "Damaged parcel",
            "Wrong item",
            "Invoice error",
            "Rude call",
            "Refund delay",
        ]
        rows = []
        for customer in self.customers:
            roll = rng.random()
            if roll < 0.03:
                days = [rng.randint(1, 150) for _n in range(rng.randint(3, 6))]
            elif roll < 0.12:
                days = [rng.randint(1, 700)]
            else:
                continue
            for ago in days:
                when = datetime.datetime.combine(
                    self.today - datetime.timedelta(days=ago),
                    datetime.time(rng.randint(9, 18), rng.randint(0, 59)),
                )
                state = "resolved" if ago > 20 else rng.choice(["open", "in_progress"])
                rows.append(
                    (
                        rng.choice(subjects),
                        customer["id"],
                        self.company.id,
                        when,
                        self.channels["email"],
                        state,
                        customer["salesperson"],
                        when + datetime.timedelta(days=rng.randint(1, 10)) if state == "resolved" else None,
                        None if state == "resolved" else (when + datetime.timedelta(days=3)).date(),
                        self.now,
                        self.now,
                        1,
                        1,
                    )
                )
        self.bulk_copy(
            "affinity_complaint",
            [
                "name",
                "partner_id",
                "company_id",
                "date",
                "channel_id",
                "state",
                "user_id",
                "resolved_on",
                "next_update_due",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            rows,
        )
