def migrate(cr, version):
    """Prepare the data this version moves.

    - Flag uniqueness becomes an SQL constraint of the same name: the bare unique index makes way for it.
    - Delivery check-ins moved to the crm_affinity_stock bridge: the shipped rule's xml id goes with them.
    """
    cr.execute("DROP INDEX IF EXISTS affinity_review_flag_partner_kind_uniq")
    cr.execute(
        """UPDATE ir_model_data SET module = 'crm_affinity_stock'
            WHERE module = 'crm_affinity' AND name = 'followup_rule_post_sale_checkin'"""
    )
