from . import affinity_followup_rule
