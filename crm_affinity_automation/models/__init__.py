from . import affinity_contact_pressure
from . import automation_configuration
from . import automation_configuration_step
from . import automation_record
from . import automation_record_step
from . import mail_compose_message
