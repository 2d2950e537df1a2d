"""The mechanisms shipped with the package, one module each, in their canonical order."""

from dynamics.model.mechanisms.alliances import ALLIANCES
from dynamics.model.mechanisms.bandwagoning import BANDWAGONING
from dynamics.model.mechanisms.ceiling import CEILING
from dynamics.model.mechanisms.coercion import COERCION
from dynamics.model.mechanisms.economy import ECONOMY
from dynamics.model.mechanisms.intentions import INTENTIONS
from dynamics.model.mechanisms.perception import PERCEPTION
from dynamics.model.mechanisms.public_good import PUBLIC_GOOD
from dynamics.model.mechanisms.richardson import RICHARDSON
from dynamics.model.mechanisms.soft_balancing import SOFT_BALANCING
from dynamics.model.mechanisms.spoils import SPOILS

__all__ = ["SHIPPED"]

#: every shipped mechanism, in the order the model prints them
SHIPPED = (RICHARDSON, PERCEPTION, INTENTIONS, CEILING, ECONOMY, COERCION, ALLIANCES,
           PUBLIC_GOOD, BANDWAGONING, SPOILS, SOFT_BALANCING)
