"""Local well-being (地域幸福度): survey weights, district indicators, driver models.

The stage is :func:`kogadx.wellbeing.stage.run_wellbeing` (params:
:class:`kogadx.wellbeing.params.WellbeingParams`); the analysis behind it is
:func:`kogadx.wellbeing.stage.analyse_wellbeing`. Building blocks: ``raking.rake`` (IPF
weights), ``indicators.district_estimates`` / ``shrink_to_city_mean``, ``drivers.fit_drivers``,
``objective.objective_indicators``, ``figures``. This file imports nothing.
"""
