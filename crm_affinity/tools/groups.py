"""The addon's groups, as code names them."""

AFFINITY_USER = "crm_affinity.group_affinity_user"
AFFINITY_MANAGER = "crm_affinity.group_affinity_manager"
# The salesperson scope: an Affinity user reads the files of the customers she owns or sells to.
AFFINITY_OWN_ONLY = "crm_affinity.group_affinity_own_only"


def scoped_to_own(env):
    """Does the salesperson scope hold for this reader (on, and she is not an Affinity administrator)?"""
    return not env.su and env.user.has_group(AFFINITY_OWN_ONLY) and not env.user.has_group(AFFINITY_MANAGER)
