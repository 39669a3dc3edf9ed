"""Column names and coded values, defined once (data contract ``design/data-contract.md``).

Logic compares with these enums and constants, never with bare strings such as "1" or "3".
"""

from __future__ import annotations

from enum import StrEnum

# --- episodes (data contract §1) -----------------------------------------------------------------------
EPIKEY = "EPIKEY"
HESID = "HESID"
PROCODE3 = "PROCODE3"
SITETRET = "SITETRET"
PROVSPNOPS = "PROVSPNOPS"
EPIORDER = "EPIORDER"
EPISTAT = "EPISTAT"
EPISTART = "EPISTART"
EPIEND = "EPIEND"
ADMIDATE = "ADMIDATE"
DISDATE = "DISDATE"
ADMIMETH = "ADMIMETH"
ADMISORC = "ADMISORC"
DISMETH = "DISMETH"
DISDEST = "DISDEST"
CLASSPAT = "CLASSPAT"
STARTAGE = "STARTAGE"
SEX = "SEX"
TRETSPEF = "TRETSPEF"
MAINSPEF = "MAINSPEF"
LSOA11 = "LSOA11"
BIRWEIT_1 = "BIRWEIT_1"
ETHNOS = "ETHNOS"
DIAGNOSIS_COLUMNS = tuple(f"DIAG_4_{i:02d}" for i in range(1, 21))
PRIMARY_DIAGNOSIS = DIAGNOSIS_COLUMNS[0]

#: Contract fields of ``episodes`` in the order of the data contract's table (§1).
EPISODE_FIELDS = (
    EPIKEY, HESID, PROCODE3, SITETRET, PROVSPNOPS, EPIORDER, EPISTAT, EPISTART, EPIEND, ADMIDATE, DISDATE,
    ADMIMETH, ADMISORC, DISMETH, DISDEST, CLASSPAT, STARTAGE, SEX, *DIAGNOSIS_COLUMNS, TRETSPEF, MAINSPEF,
    LSOA11, BIRWEIT_1, ETHNOS,
)
#: Fields that may be absent from an episodes input.
OPTIONAL_EPISODE_FIELDS = frozenset({PROVSPNOPS, *DIAGNOSIS_COLUMNS[1:], LSOA11, BIRWEIT_1, ETHNOS})
REQUIRED_EPISODE_FIELDS = tuple(f for f in EPISODE_FIELDS if f not in OPTIONAL_EPISODE_FIELDS)
DATE_FIELDS = (EPISTART, EPIEND, ADMIDATE, DISDATE)
INTEGER_FIELDS = (EPIORDER, STARTAGE, BIRWEIT_1)

# --- deaths (data contract §2) -------------------------------------------------------------------------
DOD = "DOD"
CAUSE_OF_DEATH = "CAUSE_OF_DEATH"
DEATH_FIELDS = (HESID, DOD, CAUSE_OF_DEATH)
REQUIRED_DEATH_FIELDS = (HESID, DOD)

# --- organisations (data contract §3) ------------------------------------------------------------------
ORG_CODE = "org_code"
ORG_NAME = "org_name"
ORG_TYPE = "org_type"
PARENT_CODE = "parent_code"
REGION_CODE = "region_code"
REGION_NAME = "region_name"
TRUST_TYPE = "trust_type"
SITE_TYPE = "site_type"
ORGANISATION_FIELDS = (ORG_CODE, ORG_NAME, ORG_TYPE, PARENT_CODE, REGION_CODE, REGION_NAME, TRUST_TYPE,
                       SITE_TYPE)

#: HES null date and "invalid date submitted" (both read as missing).
HES_NULL_DATE = "1800-01-01"
HES_INVALID_DATE = "1801-01-01"


class EpisodeStatus(StrEnum):
    UNFINISHED = "1"
    FINISHED = "3"
    DERIVED_UNFINISHED = "9"


class DischargeMethod(StrEnum):
    DISCHARGED_ON_CLINICAL_ADVICE = "1"
    SELF_OR_RELATIVE_DISCHARGE = "2"
    DISCHARGED_BY_MENTAL_HEALTH_REVIEW = "3"
    DIED = "4"
    STILLBIRTH = "5"
    SELF_DISCHARGE = "6"
    DISCHARGED_BY_RELATIVE = "7"
    NOT_APPLICABLE = "8"
    NOT_KNOWN = "9"


class PatientClassification(StrEnum):
    ORDINARY_ADMISSION = "1"
    DAY_CASE = "2"
    REGULAR_DAY_ATTENDER = "3"
    REGULAR_NIGHT_ATTENDER = "4"
    MOTHERS_AND_BABIES_DELIVERY_ONLY = "5"
    NOT_APPLICABLE = "8"
    NOT_KNOWN = "9"


class Sex(StrEnum):
    MALE = "1"
    FEMALE = "2"


class OrgType(StrEnum):
    TRUST = "trust"
    SITE = "site"


class TrustType(StrEnum):
    ACUTE = "acute"
    SPECIALIST = "specialist"
    MENTAL_HEALTH = "mental_health"
    COMMUNITY = "community"
    INDEPENDENT = "independent"


class SiteType(StrEnum):
    ACUTE = "acute"
    COMMUNITY = "community"
    SPECIALIST = "specialist"
    MATERNITY = "maternity"
    OTHER = "other"


# --- code lists of the data contract (§1), for the CODE_INVALID_<FIELD> rules ----------------------------
ELECTIVE_ADMISSION_METHODS = ("11", "12", "13")
EMERGENCY_ADMISSION_METHODS = ("21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D")
MATERNITY_ADMISSION_METHODS = ("31", "32")
OTHER_ADMISSION_METHODS = ("81", "82", "83", "84", "89")
ADMISSION_METHOD_NOT_KNOWN = ("98", "99")
VALID_CODES: dict[str, frozenset[str]] = {
    ADMIMETH: frozenset(
        ELECTIVE_ADMISSION_METHODS + EMERGENCY_ADMISSION_METHODS + MATERNITY_ADMISSION_METHODS
        + OTHER_ADMISSION_METHODS + ADMISSION_METHOD_NOT_KNOWN
    ),
    ADMISORC: frozenset(
        ["19", "29", "30", "37", "38", "39", "40", "41", "42", "48", "49", "50", "51", "52", "53", "54", "55",
         "56", "65", "66", "69", "79", "85", "86", "87", "88", "89", "98", "99"]
    ),
    DISMETH: frozenset(["1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    DISDEST: frozenset(
        ["19", "29", "30", "37", "38", "39", "40", "42", "48", "49", "50", "51", "52", "53", "54", "55", "56",
         "65", "66", "79", "84", "85", "87", "88", "89", "98", "99"]
    ),
    CLASSPAT: frozenset(["1", "2", "3", "4", "5", "8", "9"]),
    SEX: frozenset(["0", "1", "2", "3", "9", "X"]),
    EPISTAT: frozenset(["1", "3", "9"]),
}
#: Treatment specialties that mark palliative care (shmi.md §14).
PALLIATIVE_SPECIALTIES = frozenset({"315", "240"})
PALLIATIVE_DIAGNOSIS = "Z515"
