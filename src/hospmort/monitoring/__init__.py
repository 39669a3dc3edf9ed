"""Monitoring over time: VLAD charts, risk-adjusted CUSUMs, their thresholds and the alert register.

The rules are ``statistics.md`` §3 (units, VLAD), §4 (CUSUM, thresholds) and §6 (alerts); docs/monitoring.md maps
each rule to its function.

* :mod:`.weights` — W(p, y; R) (§4.1).
* :mod:`.charts` — VLAD, its control lines, the CUSUM with resets (§3.1-§3.2, §4.2).
* :mod:`.simulation` — the exact simulation, seeds and exact thresholds (§4.4.1).
* :mod:`.table` — the threshold table: grid, generation, file format (§4.4.3).
* :mod:`.thresholds` — the table method (§4.4.2).
* :mod:`.compute` — every chart of one indicator in one publication, from the engine's records (§3-§4).
* :mod:`.publication` — the run's monitoring step: SHMI and HSMR records, stored tables, internal file (§4.4.5).
* :mod:`.register` — alert types, conditions, life cycle, replay, preview (§6), as pure functions.
* :mod:`.alerts_store` — the register in the results store, the run's previews, the open-alert listing.
"""
