from . import test_delivery_followup
