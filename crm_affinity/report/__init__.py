from . import affinity_campaign_score
from . import affinity_source_performance
from . import affinity_contact_report
from . import affinity_reachability_pattern
