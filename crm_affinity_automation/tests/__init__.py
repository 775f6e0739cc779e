from . import test_journey_gate
from . import test_journey_pilot
from . import test_shipped_journeys
from . import test_tours
from . import test_attack
from . import test_journey_best_hour
