"""GX×DX business energy: emission factors, cleaning, emissions, baselines, scenarios.

Pure functions over DataFrames; units are stated in each docstring (t-CO2, kWh, m3, kg,
L, yen, °C·day). The ``co2`` stage is :func:`kogadx.energy.stage.run_co2`; its params are
:class:`kogadx.energy.params.Co2Params`. Import from the submodules (this file imports
nothing, so importing one module never loads the others).
"""
