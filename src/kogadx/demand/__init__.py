"""Demand for のるーと古賀: ride panel features, forecasting engine, backtest and intervals."""
