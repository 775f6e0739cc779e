"""Learned reachability on the partner: the sentence the Communication tab shows and the 7 × 24 strip of the
communication page. The learning and the choice live in ``affinity.reachability`` (affinity_reachability.py)."""

import numpy as np
from markupsafe import Markup

from odoo import fields, models

from ..tools.groups import AFFINITY_USER
from ..tools.reachability import SLOTS

# The channels a strip shows, when active: the ones people answer by themselves.
STRIP_CHANNELS = ("email", "sms", "phone", "whatsapp")
# Reasons that only make a message wait: the channel is still the person's.
PASSING_REASONS = ("quiet_until", "quiet_day")


# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    affinity_reach_summary = fields.Char(
        string="Best Reached",
        compute="_compute_affinity_reach",
        groups=AFFINITY_USER,
        help="When and how this person answers best, learned from their own answers, inside their contact "
        "windows; every message still asks the contact decision at its moment.",
    )
    affinity_reach_strip = fields.Html(
        string="Reachability by Hour",
        compute="_compute_affinity_reach",
        sanitize=False,
        groups=AFFINITY_USER,
        help="The learned chance of an answer per channel and hour of the week (the person's time zone); "
        "hours outside the contact windows are greyed.",
    )

    def _compute_affinity_reach(self):
        """One read of the learned profiles for the whole set, windows per channel."""
        partners = self.filtered("id")
        (self - partners).update({"affinity_reach_summary": False, "affinity_reach_strip": False})
        if not partners:
            return
        channels = self.env["affinity.channel"].search([("code", "in", STRIP_CHANNELS)])
        for partner, (summary, strip) in partners._affinity_reach_render(channels).items():
            partner.affinity_reach_summary = summary
            partner.affinity_reach_strip = strip

    def _affinity_reach_render(self, channels, compact=False):
        """{partner: (sentence, strip)} over these channels: the best allowed slot's reason and the 7 × 24
        strip of each channel, from one read of the learned profiles and the windows per channel."""
        reach = self.env["affinity.reachability"].sudo()
        _zones, profiles = reach._profiles(self, channels, fields.Datetime.now())
        windows = {channel.id: reach._window_masks(self, channel) for channel in channels}
        table = Markup('<table class="o_affinity_reach_strip%s">%%s</table>') % (
            Markup(" o_affinity_reach_strip_compact") if compact else Markup("")
        )
        result = {}
        for partner in self:
            best = None
            rows = Markup("")
            for channel in channels:
                rates, n, k, learned = profiles.get(
                    (partner.id, channel.id), (np.zeros(SLOTS),) * 3 + (False,)
                )
                mask = windows[channel.id][partner.id]
                allowed_rates = np.where(mask, rates, -1.0)
                slot = int(allowed_rates.argmax())
                if allowed_rates[slot] >= 0 and (best is None or (learned, rates[slot]) > best[0]):
                    best = ((learned, rates[slot]), channel, slot, (rates, n, k, learned))
                rows += self._affinity_reach_strip_rows(channel, rates, mask, compact)
            summary = reach._slot_reason(best[1], best[2], best[3]) if best else None
            if not channels:
                summary = self.env._("No permitted channel to learn an hour for.")
            result[partner] = (summary or self.env._("No contact window open."), table % rows)
        return result

    def _affinity_reach_permitted_channels(self):
        """The strip's channels this person may be reached on for some purpose now, contact windows and
        budget aside (those only make a message wait); quiet days, passing, do not hide a channel."""
        self.ensure_one()
        channels = self.env["affinity.channel"].search([("code", "in", STRIP_CHANNELS)])
        purposes = self.env["affinity.purpose"].search([("active", "=", True)])
        permitted = self.env["affinity.channel"]
        for channel in channels:
            for purpose in purposes:
                decision = self.sudo()._affinity_contact_decision(
                    channel, purpose, check_window=False, check_pressure=False
                )[self.id]
                if decision.allowed or decision.reason in PASSING_REASONS:
                    permitted |= channel
                    break
        return permitted

    def _affinity_reach_tab_lines(self):
        """The Communication tab's lines of learned reachability, read when the tab is opened: the sentence
        and a compact strip, over the channels the person permits."""
        self.ensure_one()
        channels = self._affinity_reach_permitted_channels()
        [(summary, strip)] = self._affinity_reach_render(channels, compact=True).values()
        return [
            {
                "name": "affinity_reach_summary",
                "label": self._fields["affinity_reach_summary"]._description_string(self.env),
                "value": summary,
            },
            {
                "name": "affinity_reach_strip",
                "label": self._fields["affinity_reach_strip"]._description_string(self.env),
                "value": str(strip) if channels else "",
                "html": bool(channels),
            },
        ]

    def _affinity_reach_strip_rows(self, channel, rates, mask, compact=False):
        """Seven rows of 24 cells for one channel: darker is likelier, grey is outside the windows."""
        size = "0.55em" if compact else "0.9em"
        top = max(float(rates.max()), 1e-9)
        days = self.env["affinity.reachability"]._day_names()
        rows = Markup("")
        for day in range(7):
            cells = Markup("")
            for hour in range(24):
                slot = day * 24 + hour
                if mask[slot]:
                    style = f"background:rgba(1,126,132,{0.08 + 0.92 * float(rates[slot]) / top:.2f})"
                else:
                    style = "background:repeating-linear-gradient(45deg,#eee,#eee 2px,#fff 2px,#fff 4px)"
                title = f"{days[day]} {hour:02d}:00 — {100 * float(rates[slot]):.0f} %"
                cells += Markup('<td style="width:%s;height:%s;%s" title="%s"></td>') % (
                    size,
                    size,
                    style,
                    title,
                )
            label = f"{channel.name} · {days[day]}" if day == 0 else days[day]
            rows += Markup('<tr><th class="pe-2 small fw-normal text-nowrap">%s</th>%s</tr>') % (label, cells)
        return rows
