from . import test_journey_gate
from . import test_journey_pilot
