"""Leads and opportunities, won, lost and open, with their campaigns."""

import datetime

from .names import INT_LAST, INT_MALE, TR_FEMALE, TR_LAST, TR_MALE, ascii_slug


class CrmMixin:
    """Leads and opportunities, won, lost and open, with their campaigns."""

    # ------------------------------------------------------------------
    # leads and opportunities
    # ------------------------------------------------------------------

    def campaign_for(self, source, day):
        pilot = source.get("pilot")
        if pilot and day.year == pilot[0] and day.month in pilot[1]:
            return pilot[2]
        return source["campaigns"].get(day.year)

    def make_leads(self):
        rng = self.rng
        rows = []
        ids = self.reserve_ids(
            "crm_lead",
            len(self.customers) + self.params["prospect_leads"] + self.params["extra_opportunities"],
        )
        id_iter = iter(ids)
        for customer in self.customers:
            lead_id = next(id_iter)
            customer["lead_id"] = lead_id
            source = self.sources[customer["source"]]
            opened = self.random_datetime(customer["acquired"] - datetime.timedelta(days=rng.randint(1, 45)))
            won = self.random_datetime(customer["acquired"])
            customer["last"] = won
            rows.append(
                (
                    lead_id,
                    f"{customer['name']} – first order",
                    "opportunity",
                    customer["id"],
                    customer["name"],
                    customer["email"],
                    self.won_stage,
                    100.0,
                    True,
                    customer["salesperson"],
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, customer["acquired"]),
                    opened,
                    opened,
                    won,
                    won,
                    rng.randint(100, 2000),
                    "0",
                )
            )
        for _index in range(self.params["extra_opportunities"]):
            customer = rng.choice(self.customers)
            source = self.sources[customer["source"]]
            opened = self.random_datetime(self.random_date(customer["acquired"], self.today))
            lost = rng.random() < 0.6
            rows.append(
                (
                    next(id_iter),
                    f"{customer['name']} – new need",
                    "opportunity",
                    customer["id"],
                    customer["name"],
                    customer["email"],
                    rng.choice(self.open_stages),
                    0.0 if lost else 30.0,
                    not lost,
                    customer["salesperson"],
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, opened.date()),
                    opened,
                    opened,
                    opened if lost else None,
                    opened,
                    rng.randint(100, 3000),
                    "1",
                )
            )
        for index in range(self.params["prospect_leads"]):
            source = self.sources[rng.choices(range(len(self.sources)), weights=self.source_weights)[0]]
            opened = self.random_datetime(self.random_date(self.start, self.today))
            first, last = rng.choice(TR_FEMALE + TR_MALE + INT_MALE), rng.choice(TR_LAST + INT_LAST)
            lost = rng.random() < 0.5
            rows.append(
                (
                    next(id_iter),
                    f"Enquiry from {first} {last}",
                    "lead" if rng.random() < 0.6 else "opportunity",
                    None,
                    f"{first} {last}",
                    f"{ascii_slug(first)}.{ascii_slug(last)}.p{index}@example.com",
                    rng.choice(self.open_stages),
                    0.0 if lost else 10.0,
                    not lost,
                    rng.choice(self.salespeople),
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, opened.date()),
                    opened,
                    opened,
                    opened if lost else None,
                    opened,
                    rng.randint(50, 1500),
                    "0",
                )
            )
        self.bulk_copy(
            "crm_lead",
            [
                "id",
                "name",
                "type",
                "partner_id",
                "contact_name",
                "email_from",
                "stage_id",
                "probability",
                "active",
                "user_id",
                "team_id",
                "company_id",
                "source_id",
                "medium_id",
                "campaign_id",
                "create_date",
                "date_open",
                "date_closed",
                "date_last_stage_update",
                "expected_revenue",
                "priority",
                "email_normalized",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            ((*row, row[5].lower() if row[5] else None, row[15], 1, 1) for row in rows),
        )
