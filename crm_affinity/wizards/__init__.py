from . import affinity_file_import_mixin
from . import affinity_file_export
from . import affinity_consent_import
from . import affinity_consent_export
from . import affinity_spend_import
from . import affinity_offboard
from . import affinity_value_export
