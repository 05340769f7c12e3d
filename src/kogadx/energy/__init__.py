"""GX×DX business energy: emission factors, cleaning, emissions, baselines, scenarios.

Pure functions over DataFrames; units are stated in each docstring (t-CO2, kWh, m3, kg,
L, yen, °C·day). The ``co2`` stage calls :func:`kogadx.energy.stage.run_co2`.
"""

from kogadx.energy.baseline import fit_baselines, forecast_baselines, goodness_of_fit
from kogadx.energy.clean import clean_monthly_energy
from kogadx.energy.emissions import compute_emissions, summarize_emissions
from kogadx.energy.factors import EmissionFactorError, load_emission_factors, select_emission_factors
from kogadx.energy.weather import degree_days

__all__ = [
    "EmissionFactorError", "clean_monthly_energy", "compute_emissions", "degree_days", "fit_baselines",
    "forecast_baselines", "goodness_of_fit", "load_emission_factors", "select_emission_factors",
    "summarize_emissions",
]
