"""Mobility domain: dial-a-ride (DARP) solver, Cordeau benchmark tools, and the online
dispatch simulation of the on-demand bus 「のるーと古賀」.

Modules: ``model`` (data classes), ``darp`` (OR-Tools solver + LP re-timing),
``cordeau`` (instance parser), ``checker`` (independent feasibility check), ``cli``
(typer app, reads instance files); ``simulation`` (online insertion dispatch + KPIs),
``params`` (the ``dispatch`` section), ``policies`` (policy codes and names), ``calibration``
(travel model from the ride log), ``inputs`` (replay set, places, service, travel model),
``expected_demand``, ``replications`` (redrawn periods, paired statistics), ``figures`` and
``stage`` (the ``dispatch`` stage). Nothing is configured at import time.
"""
