"""Learned reachability on the partner: the sentence the Communication tab shows and the 7 × 24 strip of the
communication page. The learning and the choice live in ``affinity.reachability`` (affinity_reachability.py)."""

import numpy as np
from markupsafe import Markup

from odoo import fields, models

from ..tools.groups import AFFINITY_USER
from ..tools.reachability import SLOTS

# The channels a strip shows, when active: the ones people answer by themselves.
STRIP_CHANNELS = ("email", "sms", "phone", "whatsapp")


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
        reach = self.env["affinity.reachability"].sudo()
        _zones, profiles = reach._profiles(partners, channels, fields.Datetime.now())
        windows = {channel.id: reach._window_masks(partners, channel) for channel in channels}
        for partner in partners:
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
                rows += self._affinity_reach_strip_rows(channel, rates, mask)
            partner.affinity_reach_summary = (
                reach._slot_reason(best[1], best[2], best[3])
                if best
                else self.env._("No contact window open.")
            )
            partner.affinity_reach_strip = Markup('<table class="o_affinity_reach_strip">%s</table>') % rows

    def _affinity_reach_strip_rows(self, channel, rates, mask):
        """Seven rows of 24 cells for one channel: darker is likelier, grey is outside the windows."""
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
                cells += Markup('<td style="width:0.9em;height:0.9em;%s" title="%s"></td>') % (style, title)
            label = f"{channel.name} · {days[day]}" if day == 0 else days[day]
            rows += Markup('<tr><th class="pe-2 small fw-normal text-nowrap">%s</th>%s</tr>') % (label, cells)
        return rows
