"""Names of the DuckDB tables that pass data between the record-level stages, defined once.

| table | made by | one row per |
|---|---|---|
| ``episodes``, ``deaths``, ``organisations`` | :func:`hospmort.hes.load_inputs` | episode kept, person, organisation |
| ``icd10_lookup`` | :func:`hospmort.spells.register_icd10_lookup` | ICD-10 code of the SHMI lookup |
| ``provider_spells`` | :func:`hospmort.spells.derive_provider_spells` | provider spell (shmi.md §4) |
| ``spell_cips`` | :func:`hospmort.spells.derive_continuous_inpatient_spells` | provider spell, with its CIPS |
| ``continuous_inpatient_spells`` | same | CIPS (hsmr.md §3) |
| ``cips_acute_trusts`` | same | (CIPS, acute trust) pair (hsmr.md §3.3-§3.4) |
| ``shmi_scope`` | :func:`hospmort.shmi.scope.classify_shmi_scope` | provider spell, with its SHMI scope (§5) |
| ``shmi_outcome`` | :func:`hospmort.spells.attribute_shmi_deaths` | in-scope provider spell, with ``DIED`` (§6) |
"""

from __future__ import annotations

EPISODES = "episodes"
DEATHS = "deaths"
ORGANISATIONS = "organisations"
ICD10_LOOKUP = "icd10_lookup"
PROVIDER_SPELLS = "provider_spells"
SPELL_CIPS = "spell_cips"
CONTINUOUS_INPATIENT_SPELLS = "continuous_inpatient_spells"
CIPS_ACUTE_TRUSTS = "cips_acute_trusts"
SHMI_SCOPE = "shmi_scope"
SHMI_OUTCOME = "shmi_outcome"
