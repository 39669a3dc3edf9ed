"""The HSMR (methodology/hsmr.md): the Dr Foster / Imperial style hospital standardised mortality ratio.

Stages, in the order a publication runs them (hsmr.md §1 "pipeline order"):

* :mod:`hospmort.hsmr.windows`: look-back and modelling-window coverage (§2);
* :mod:`hospmort.hsmr.cohort`: scope of the continuous inpatient spells, diagnosis category and case-mix
  levels, records per acute trust (§3.4, §4, §5.1, §6.1), the data-quality measures (§10.6);
* :mod:`hospmort.hsmr.basket`: the derived basket (§5.2), basket files (§5.3), category labels (§5.1);
* :mod:`hospmort.hsmr.casemix`: the covariates and their SQL derivations (§6.1, §6.2);
* :mod:`hospmort.hsmr.indicator`: O, E, re-basing, eligibility, intervals and banding (§7), breakdowns (§8),
  request-time baskets and peer groups (§8.1);
* :mod:`hospmort.hsmr.compare`: the SHMI-versus-HSMR chain and its contributions (§9);
* :mod:`hospmort.hsmr.compute`: one publication's models, sums and store tables;
* :mod:`hospmort.hsmr.files` and :mod:`hospmort.hsmr.extract`: the files of §10 and the record-level extract.

CIPS linking itself (§3.1-§3.3) and ``PREV_EMERGENCY`` counting live in :mod:`hospmort.spells`.
"""
