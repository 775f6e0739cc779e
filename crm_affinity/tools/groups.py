"""The addon's two groups, as code names them."""

AFFINITY_USER = "crm_affinity.group_affinity_user"
AFFINITY_MANAGER = "crm_affinity.group_affinity_manager"
