from . import affinity_file_export
from . import affinity_consent_import
from . import affinity_consent_export
