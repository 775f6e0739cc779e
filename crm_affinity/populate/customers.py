"""Customers: people and companies, Turkish and international, with their sources."""

import datetime

from .names import (
    COMPANY_KINDS,
    INT_CITIES,
    INT_COMPANY_KINDS,
    INT_FEMALE,
    INT_LAST,
    INT_MALE,
    STREETS,
    TR_CITIES,
    TR_FEMALE,
    TR_LAST,
    TR_MALE,
    ascii_slug,
)


class CustomersMixin:
    """Customers: people and companies, Turkish and international, with their sources."""

    # ------------------------------------------------------------------
    # customers
    # ------------------------------------------------------------------

    def make_customers(self):
        count = self.params["customers"]
        ids = self.reserve_ids("res_partner", count)
        self.customers = []
        rows = []
        for index, partner_id in enumerate(ids):
            rng = self.rng
            turkish = rng.random() < 0.7
            is_company = rng.random() < 0.15
            female = rng.random() < 0.5
            if turkish:
                first = rng.choice(TR_FEMALE if female else TR_MALE)
                last = rng.choice(TR_LAST)
                city, plate = rng.choice(TR_CITIES)
                country, tz = self.countries["tr"], "Europe/Istanbul"
                phone_prefix = f"+90 5{rng.randint(30, 59)}"
                zip_code = f"{plate}{rng.randint(100, 999)}"
                salutation = f"{first} {'Hanım' if female else 'Bey'}"
            else:
                first = rng.choice(INT_FEMALE if female else INT_MALE)
                last = rng.choice(INT_LAST)
                city, code, tz, phone_prefix = rng.choice(INT_CITIES)
                country = self.countries[code]
                zip_code = str(rng.randint(10000, 99999))
                salutation = rng.choice([f"{'Ms' if female else 'Mr'} {last}", f"Dr. {last}", first])
            if is_company:
                name = f"{last} {rng.choice(COMPANY_KINDS if turkish else INT_COMPANY_KINDS)}"
            else:
                name = f"{first} {last}"
            email = (
                f"{ascii_slug(first)}.{ascii_slug(last)}{index}@example.{rng.choice(['com', 'org', 'net'])}"
            )
            mobile = f"{phone_prefix} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            phone = mobile if rng.random() < 0.3 else None
            acquired = self.random_date(self.start, self.today - datetime.timedelta(days=7))
            source_index = rng.choices(range(len(self.sources)), weights=self.source_weights)[0]
            salesperson = rng.choice(self.salespeople)
            profile = rng.random()
            customer = {
                "id": partner_id,
                "name": name,
                "acquired": acquired,
                "source": source_index,
                "turkish": turkish,
                "is_company": is_company,
                "salesperson": salesperson,
                "loyal": profile < 0.2,
                "one_off": profile > 0.6,
                "deal_seeker": rng.random() < 0.06,
                "late_payer": rng.random() < 0.08,
                "email": email,
                "salutation": salutation,
                "cadence": rng.choice([0, 0, 0, 30, 60, 90]),
                "first": first,
            }
            if self.sources[source_index]["name"] == "Referral" and self.customers:
                customer["referred_by"] = rng.choice(self.customers)["id"]
            self.customers.append(customer)
            created = self.random_datetime(acquired)
            rows.append(
                (
                    partner_id,
                    name,
                    name,
                    "contact",
                    is_company,
                    True,
                    self.lang_tr if turkish else "en_US",
                    tz,
                    email,
                    email.lower(),
                    phone,
                    mobile,
                    f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
                    city,
                    zip_code,
                    country,
                    1,
                    partner_id,
                    salesperson,
                    "ask",
                    True,
                    created,
                    created,
                    1,
                    1,
                    salesperson if rng.random() < 0.6 else None,
                    customer["cadence"],
                    rng.random() < 0.01,
                )
            )
        self.bulk_copy(
            "res_partner",
            [
                "id",
                "name",
                "complete_name",
                "type",
                "is_company",
                "active",
                "lang",
                "tz",
                "email",
                "email_normalized",
                "phone",
                "mobile",
                "street",
                "city",
                "zip",
                "country_id",
                "customer_rank",
                "commercial_partner_id",
                "user_id",
                "autopost_bills",
                "partner_share",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "affinity_owner_id",
                "affinity_cadence_days",
                "affinity_do_not_contact",
                "affinity_next_date",
                "affinity_last_interaction",
                "affinity_next_contact_due",
                "affinity_source_id",
                "affinity_medium_id",
                "affinity_campaign_id",
                "affinity_acquired_on",
                "affinity_referred_by_id",
            ],
            self.partner_rows(rows),
        )

    def partner_rows(self, rows):
        """Partner rows completed with what dates and sales planned (read lazily at flush time)."""
        for row, customer in zip(rows, self.customers, strict=True):
            last = customer.get("last")
            cadence = customer["cadence"]
            source = self.sources[customer["source"]]
            yield (
                *row,
                customer.get("next_date"),
                last,
                last.date() + datetime.timedelta(days=cadence) if last and cadence else None,
                source["source"],
                source["medium"],
                self.campaign_for(source, customer["acquired"]),
                customer["acquired"],
                customer.get("referred_by"),
            )
