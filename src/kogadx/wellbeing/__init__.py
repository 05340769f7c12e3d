"""Local well-being (地域幸福度): survey weights, district indicators, driver models.

Main entry: :func:`kogadx.wellbeing.analysis.run_wellbeing`. Building blocks:
``raking.rake`` (IPF weights), ``indicators.district_estimates`` / ``shrink_to_city_mean``,
``drivers.fit_drivers``, ``objective.objective_indicators``, ``figures``. Importing this
package configures nothing.
"""

from kogadx.wellbeing.analysis import WellbeingResult, run_wellbeing
from kogadx.wellbeing.categories import CATEGORIES, CATEGORY_KEYS, INDICATOR_LABELS
from kogadx.wellbeing.districts import assign_districts, base_name
from kogadx.wellbeing.raking import RakingResult, population_margins, rake

__all__ = [
    "CATEGORIES",
    "CATEGORY_KEYS",
    "INDICATOR_LABELS",
    "RakingResult",
    "WellbeingResult",
    "assign_districts",
    "base_name",
    "population_margins",
    "rake",
    "run_wellbeing",
]
