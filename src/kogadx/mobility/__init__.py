"""Mobility domain: dial-a-ride (DARP) solver, Cordeau benchmark tools, and the online
dispatch simulation of the on-demand bus 「のるーと古賀」.

Modules: ``model`` (data classes), ``darp`` (OR-Tools solver + LP re-timing),
``cordeau`` (instance loader), ``checker`` (independent feasibility check),
``simulation`` (online insertion dispatch + KPIs), ``cli`` (typer app).
Nothing is configured at import time.
"""
