"""The 現況届 counter week: arrivals by day and hour, queue simulation, Erlang C, staffing (issue #22)."""
