"""The shipped reference tables: counts, keys, and the invariants the methodology relies on."""

from __future__ import annotations

from hospmort import refdata


def test_icd10_lookup_has_12632_unique_codes_in_groups_1_to_142() -> None:
    lookup = refdata.icd10_lookup()
    assert len(lookup) == 12632
    assert all(len(code) == 4 for code in lookup)
    assert {row.shmi_diagnosis_group for row in lookup.values()} == set(range(1, 143))
    assert all(1 <= row.ccs_category <= 260 for row in lookup.values())


def test_every_group_1_to_144_has_a_label_and_a_supergroup() -> None:
    labels = refdata.diagnosis_group_labels()
    assert set(labels) == set(range(1, 145))
    assert labels[143] == "COVID-19"
    assert labels[144] == "Invalid primary diagnosis"
    assert all(label for label in labels.values())
    supergroups = refdata.supergroups()
    assert set(supergroups) == set(range(1, 145))
    assert len({number for number, _ in supergroups.values()}) == 18


def test_charlson_list_has_17_conditions_and_221_prefixes_without_the_retired_codes() -> None:
    conditions = refdata.charlson_conditions()
    prefixes = [p for c in conditions for p in c.prefixes]
    assert len(conditions) == 17
    assert len(prefixes) == 221 == len(set(prefixes))
    assert not {"C44", "E110", "M351"} & set(prefixes)
    weights = {c.condition: c.weight for c in conditions}
    assert weights == {"ami": 5, "chf": 13, "pvd": 6, "cevd": 11, "dementia": 14, "copd": 4, "rheumd": 4,
                       "pud": 9, "mld": 8, "diab": 3, "diabwc": -1, "hp": 1, "rend": 10, "canc": 8,
                       "msld": 18, "metacanc": 14, "aids": 2}
    by_condition = {c.condition: set(c.prefixes) for c in conditions}
    assert {f"I{n}" for n in range(60, 70)} <= by_condition["cevd"]
    assert {"N052", "N053", "N054", "N055", "N056"} <= by_condition["rend"]


def test_published_coefficients_cover_142_groups_with_an_intercept_each() -> None:
    models = refdata.published_model_coefficients()
    assert set(models) == set(range(1, 143))
    assert all("Intercept" in predictors for predictors in models.values())
    assert sum(len(p) for p in models.values()) == 6597


def test_imd_has_every_english_lsoa_with_deciles_and_quintiles() -> None:
    imd = refdata.imd_decile_by_lsoa()
    assert len(imd) == 32844
    assert set(imd.values()) == set(range(1, 11))
    assert [refdata.imd_quintile(d) for d in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_trust_list_has_regions_for_english_trusts() -> None:
    trusts = refdata.trusts()
    assert len(trusts) == 210
    english = [t for t in trusts.values() if t.region_code.startswith("Y")]
    assert all(t.region_name for t in english)
    assert {t.region_code for t in english} == set(refdata.REGION_NAMES)


def test_ccs_names_cover_every_category_of_the_lookup() -> None:
    names = refdata.ccs_category_names()
    used = {row.ccs_category for row in refdata.icd10_lookup().values()}
    assert used - set(names) == set()
