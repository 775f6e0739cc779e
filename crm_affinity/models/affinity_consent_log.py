from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .affinity_consent import CONSENT_SOURCES, CONSENT_STATES, LEGAL_BASES


class AffinityConsentLog(models.Model):
    """Append-only proof of every consent change; it outlives the consent and the partner file."""

    _name = "affinity.consent.log"
    _description = "Affinity Consent History"
    _order = "create_date desc, id desc"
    _log_access = True

    consent_id = fields.Many2one("affinity.consent", ondelete="set null", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", ondelete="set null", index=True, readonly=True)
    partner_name = fields.Char(readonly=True)
    partner_address = fields.Char(readonly=True, help="E-mail or phone at the time of the change.")
    company_id = fields.Many2one("res.company", ondelete="set null", index=True, readonly=True)
    channel_id = fields.Many2one("affinity.channel", ondelete="set null", readonly=True)
    purpose_id = fields.Many2one("affinity.purpose", ondelete="set null", readonly=True)
    old_state = fields.Selection(CONSENT_STATES, readonly=True)
    new_state = fields.Selection(CONSENT_STATES, readonly=True)
    legal_basis = fields.Selection(LEGAL_BASES, readonly=True)
    source = fields.Selection(CONSENT_SOURCES, readonly=True)
    proof_ref = fields.Char(readonly=True)
    consent_date = fields.Datetime(readonly=True)
    expiry_date = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Changed By", ondelete="set null", readonly=True)
    note = fields.Char(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    unverified = fields.Boolean(
        string="Unverified Request",
        readonly=True,
        help="The change came from a request nobody could verify (a public form): a withdrawal is honoured "
        "at once, a grant waits for the person's own confirmation.",
    )
    user_agent = fields.Char(readonly=True)
    text_id = fields.Many2one(
        "affinity.consent.text",
        string="Text Agreed To",
        ondelete="restrict",
        readonly=True,
        help="The exact text the person saw when they decided.",
    )
    text_hash = fields.Char(related="text_id.text_hash", string="Text Hash (SHA-256)")
    iys_push_ids = fields.One2many(
        "affinity.iys.push", "log_id", string="Sent to IYS", groups="crm_affinity.group_affinity_manager"
    )
    iys_state = fields.Char(string="IYS", compute="_compute_iys")
    iys_transaction_id = fields.Char(string="IYS Transaction", compute="_compute_iys")
    iys_error = fields.Char(string="IYS Error", compute="_compute_iys")

    def _compute_iys(self):
        """What IYS answered for this change, read from its queue row: the proof itself never changes."""
        states = dict(self.env["affinity.iys.push"]._fields["state"]._description_selection(self.env))
        for log in self:
            # What IYS answered is no secret of the queue: everyone who reads the history reads it.
            push = log.sudo().iys_push_ids.sorted("id")[-1:]
            log.iys_state = states.get(push.state) if push else False
            log.iys_transaction_id = push.transaction_id or False
            log.iys_error = (
                f"{push.error_code}: {push.error_label}"
                if push and push.error_code and push.state == "rejected"
                else False
            )

    @api.model
    def _append(self, vals_list):
        """History rows in one statement: rows that are never written again need no ORM create each (a
        pull of IYS's changes appends thousands a page). Who and when as the ORM fills them."""
        if not vals_list:
            return self.browse()
        columns = sorted({name for vals in vals_list for name in vals})
        fields_ = [self._fields[name] for name in columns]
        if any(not field.store or field.type == "one2many" for field in fields_):
            raise ValueError("history rows take stored columns only")
        now, uid = self.env.cr.now(), self.env.uid
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s)",
                SQL(", ").join(
                    SQL("%s", field.convert_to_column_insert(vals.get(field.name, False), self, vals))
                    for field in fields_
                ),
                uid,
                uid,
                now,
                now,
            )
            for vals in vals_list
        )
        ids = self.env.execute_query(
            SQL(
                "INSERT INTO %s (%s, create_uid, write_uid, create_date, write_date) VALUES %s RETURNING id",
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(name) for name in columns),
                rows,
            )
        )
        # The history lists of the consents, partners and texts now hold rows the cache does not know.
        for model, name in (
            ("affinity.consent", "log_ids"),
            ("res.partner", "affinity_consent_log_ids"),
            ("affinity.consent.text", "log_ids"),
        ):
            self.env[model].invalidate_model([name])
        return self.browse([row[0] for row in ids])

    def write(self, vals):  # pylint: disable=method-required-super
        # Never delegates to super(): no path, sudo included, may rewrite proof.
        raise UserError(self.env._("Consent history is proof: it cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Consent history is proof: it cannot be deleted."))
