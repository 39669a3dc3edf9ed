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


# --- data-contract rules (data contract §4), in the order of the rule table -------------------------------
class ContractRule(StrEnum):
    """Ids of the data contract's bad-input rules (§4); ``CONTRACT_<id>`` in the data-quality report."""

    FILE_UNREADABLE = "FILE_UNREADABLE"
    REQUIRED_COLUMN_MISSING = "REQUIRED_COLUMN_MISSING"
    INPUT_EMPTY = "INPUT_EMPTY"
    DATE_INVALID = "DATE_INVALID"
    NUMBER_INVALID = "NUMBER_INVALID"
    KEY_MISSING = "KEY_MISSING"
    EPIKEY_DUPLICATE = "EPIKEY_DUPLICATE"
    EPISTART_AFTER_EPIEND = "EPISTART_AFTER_EPIEND"
    ADMIDATE_AFTER_DISDATE = "ADMIDATE_AFTER_DISDATE"
    CODE_INVALID_ADMIMETH = "CODE_INVALID_ADMIMETH"
    CODE_INVALID_ADMISORC = "CODE_INVALID_ADMISORC"
    CODE_INVALID_DISMETH = "CODE_INVALID_DISMETH"
    CODE_INVALID_DISDEST = "CODE_INVALID_DISDEST"
    CODE_INVALID_CLASSPAT = "CODE_INVALID_CLASSPAT"
    CODE_INVALID_SEX = "CODE_INVALID_SEX"
    CODE_INVALID_EPISTAT = "CODE_INVALID_EPISTAT"
    DIAG_CODE_MALFORMED = "DIAG_CODE_MALFORMED"
    DOD_MISSING = "DOD_MISSING"
    DEATHS_DUPLICATE_HESID = "DEATHS_DUPLICATE_HESID"


# --- provider spells, CIPS and SHMI scope and outcome (shmi.md §4-§6, hsmr.md §3) ------------------------
SPELL_KEY = "SPELL_KEY"
KEYED_BY_ADMIDATE = "KEYED_BY_ADMIDATE"
EPISODES = "EPISODES"
SITE_CODE = "SITE_CODE"
LAST_SITE_CODE = "LAST_SITE_CODE"
DIAG_SECOND_EPISODE_USED = "DIAG_SECOND_EPISODE_USED"
BIRTH_WEIGHT = "BIRTH_WEIGHT"
PALLIATIVE = "PALLIATIVE"
SECONDARY_DIAGNOSES = "SECONDARY_DIAGNOSES"
CIPS_KEY = "CIPS_KEY"
SPELLS = "SPELLS"
END_DATE = "END_DATE"
DIED = "DIED"
DIED_IN_HOSPITAL = "DIED_IN_HOSPITAL"
PREV_EMERGENCY = "PREV_EMERGENCY"
IN_SCOPE = "IN_SCOPE"
EXCLUSION_STEP = "EXCLUSION_STEP"
EXCLUSION_REASON = "EXCLUSION_REASON"
IN_REPORTING_PERIOD = "IN_REPORTING_PERIOD"
QUALIFYING = "QUALIFYING"
#: ``PROVIDER_CODE`` of the national totals row of a data-quality report (shmi.md §16.8).
ALL_PROVIDERS = "ALL"


class ExclusionReason(StrEnum):
    """Reason codes of the SHMI scope tests (shmi.md §5), in the order the tests are applied."""

    NOT_FINISHED = "NOT_FINISHED"
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW"
    PATIENT_CLASSIFICATION = "PATIENT_CLASSIFICATION"
    STILLBIRTH = "STILLBIRTH"
    AGE_NOT_KNOWN = "AGE_NOT_KNOWN"
    SEX_NOT_KNOWN = "SEX_NOT_KNOWN"
    ADMIMETH_NOT_KNOWN = "ADMIMETH_NOT_KNOWN"
    PROVIDER_NOT_IN_SCOPE = "PROVIDER_NOT_IN_SCOPE"

    @property
    def step(self) -> int:
        """The step number (1-8) of the test in shmi.md §5."""
        return list(ExclusionReason).index(self) + 1

    @property
    def measure(self) -> str:
        """The data-quality measure name, e.g. ``EXCL_1_NOT_FINISHED`` (shmi.md §16.8)."""
        return f"EXCL_{self.step}_{self.value}"


#: ``ADMIMETH`` codes with an SHMI level (shmi.md §8): anything else fails §5 step 7.
SHMI_VALID_ADMISSION_METHODS = (
    ELECTIVE_ADMISSION_METHODS + EMERGENCY_ADMISSION_METHODS + MATERNITY_ADMISSION_METHODS
    + OTHER_ADMISSION_METHODS
)
#: Transfer markers of the CIPS linking rule (hsmr.md §3.2).
TRANSFER_DISCHARGE_DESTINATIONS = ("49", "50", "51", "52", "53", "84", "87")
TRANSFER_ADMISSION_SOURCES = ("49", "50", "51", "52", "53", "87")
TRANSFER_ADMISSION_METHODS = ("81", "2B")
#: Maximum days between the discharge of one spell and the admission of the next for a CIPS link.
CIPS_LINK_MAX_GAP_DAYS = 2
#: The 30-day rule of shmi.md §6 and the look-back of ``PREV_EMERGENCY`` (hsmr.md §6.1).
DEATH_WINDOW_DAYS = 30
PREV_EMERGENCY_LOOKBACK_DAYS = 365


# --- SHMI case-mix variables = model covariates and predictor prefixes (shmi.md §8, §10.1) --------------
# (ADMIMETH, the admission-method level 1/3, reuses the HES field name above, as the model file does.)
DIAGNOSIS_GROUP = "DIAGNOSIS_GROUP"
AGE_GROUP = "AGE_GROUP"
GENDER = "GENDER"
ADMISSION_MONTH = "ADMISSION_MONTH"
CHARLSON_INDEX = "CHARLSON_INDEX"
YEAR_INDEX = "YEAR_INDEX"
BIRTHWEIGHT = "BIRTHWEIGHT"


# --- columns of the output files and of the results store (shmi.md §16, §17.2) ----------------------------
# The results store keeps the publication tables unsuppressed under these names (docs/results-database.md).
PERIOD_END = "PERIOD_END"
TIME_PERIOD = "TIME_PERIOD"
PROVIDER_CODE = "PROVIDER_CODE"
PROVIDER_NAME = "PROVIDER_NAME"
#: The trust's NHS England region in the results store (the organisation table's region_code, region_name).
PROVIDER_REGION_CODE = "REGION_CODE"
PROVIDER_REGION_NAME = "REGION_NAME"
SITE_NAME = "SITE_NAME"
#: ``SITE_TYPE`` of the site-level file (§16.2); the organisation table's field is ``site_type``.
OUTPUT_SITE_TYPE = "SITE_TYPE"
DIAGNOSIS_GROUP_DESCRIPTION = "DIAGNOSIS_GROUP_DESCRIPTION"
SUPERGROUP = "SUPERGROUP"
SUPERGROUP_NAME = "SUPERGROUP_NAME"
OBSERVED = "OBSERVED"
EXPECTED = "EXPECTED"
#: E2, expected deaths rounded to 2 decimals (shmi.md §11); results store only (files show it as EXPECTED).
EXPECTED_ROUNDED = "EXPECTED_ROUNDED"
SHMI_VALUE = "SHMI_VALUE"
SHMI_BANDING = "SHMI_BANDING"
PO_LL = "PO_LL"
PO_UL = "PO_UL"
OD_LL = "OD_LL"
OD_UL = "OD_UL"
OD_LL_998 = "OD_LL_998"
OD_UL_998 = "OD_UL_998"
PO_LL_95 = "PO_LL_95"
PO_UL_95 = "PO_UL_95"
#: The ``<file key>`` of a contextual indicator file (shmi.md §14, §16.4), e.g. ``palliative_care``.
FILE_KEY = "FILE_KEY"
MEASURE = "MEASURE"
CATEGORY = "CATEGORY"
NUMERATOR = "NUMERATOR"
DENOMINATOR = "DENOMINATOR"
VALUE = "VALUE"
INDICATOR_CODE = "INDICATOR_CODE"
PREDICTOR = "PREDICTOR"
PARAMETER_ESTIMATE = "PARAMETER_ESTIMATE"
STANDARD_ERROR = "STANDARD_ERROR"
WALD_CHI_SQUARE = "WALD_CHI_SQUARE"
WALD_DF = "WALD_DF"
WALD_P_VALUE = "WALD_P_VALUE"
DEATHS = "DEATHS"
C_STATISTIC = "C_STATISTIC"
CONVERGED = "CONVERGED"
FIT_METHOD = "FIT_METHOD"
ITERATIONS = "ITERATIONS"
ALIASED_PREDICTORS = "ALIASED_PREDICTORS"
BREAKDOWN = "BREAKDOWN"
UNITS_ELIGIBLE = "UNITS_ELIGIBLE"
UNITS_KEPT = "UNITS_KEPT"
PHI = "PHI"
TAU2 = "TAU2"
CHECK = "CHECK"
SEVERITY = "SEVERITY"
THRESHOLD = "THRESHOLD"


# --- monitoring: VLAD and CUSUM points, signals, parameters, alert register (statistics.md §3.4, §4.4.5, §6.3) --
INDICATOR = "INDICATOR"
UNIT = "UNIT"
DATE = "DATE"
RECORDS = "RECORDS"
CUM_RECORDS = "CUM_RECORDS"
CUM_OBSERVED = "CUM_OBSERVED"
CUM_EXPECTED = "CUM_EXPECTED"
VLAD = "VLAD"
CUSUM_UP = "CUSUM_UP"
CUSUM_DOWN = "CUSUM_DOWN"
VLAD_A = "VLAD_A"
VLAD_B = "VLAD_B"
CHART = "CHART"
SIGNAL_NUMBER = "SIGNAL_NUMBER"
ALPHA = "ALPHA"
ODDS_RATIO = "R"
Q_EQ = "Q_EQ"
N_EQ = "N_EQ"
MONITORABLE = "MONITORABLE"
H = "H"
SIGNALS = "SIGNALS"
LAST_SIGNAL_MONTH = "LAST_SIGNAL_MONTH"
FINAL_VALUE = "FINAL_VALUE"
ALERT_ID = "ALERT_ID"
ALERT_TYPE = "TYPE"
STATUS = "STATUS"
OPENED_PERIOD = "OPENED_PERIOD"
LAST_CONDITION_PERIOD = "LAST_CONDITION_PERIOD"
SIGNAL_COUNT = "SIGNAL_COUNT"
MISSES = "MISSES"
CLOSED_PERIOD = "CLOSED_PERIOD"
CLOSE_REASON = "CLOSE_REASON"
OPEN_OBSERVED = "OPEN_OBSERVED"
OPEN_EXPECTED = "OPEN_EXPECTED"
OPEN_VALUE = "OPEN_VALUE"
ACTION = "ACTION"


# --- HSMR (hsmr.md §4-§10): CIPS cohort columns, case-mix covariates and output columns ----------------------
HSMR_CATEGORY = "HSMR_CATEGORY"
#: Case-mix covariates of the HSMR models (hsmr.md §6.1) not shared with the SHMI (AGE_GROUP, GENDER and
#: ADMISSION_MONTH are; PALLIATIVE and PREV_EMERGENCY name both the CIPS attribute and the covariate level).
ADMISSION_METHOD = "ADMISSION_METHOD"
ADMISSION_SOURCE = "ADMISSION_SOURCE"
IMD_QUINTILE = "IMD_QUINTILE"
CHARLSON_BAND = "CHARLSON_BAND"
FINANCIAL_YEAR = "FINANCIAL_YEAR"
BASKET_ID = "BASKET_ID"
CCS_CATEGORY = "CCS_CATEGORY"
CCS_LABEL = "CCS_LABEL"
MODEL = "MODEL"
CIPS = "CIPS"
HSMR_VALUE = "HSMR_VALUE"
HSMR_BANDING = "HSMR_BANDING"
HSMR_BANDING_95 = "HSMR_BANDING_95"
LL_95 = "LL_95"
UL_95 = "UL_95"
LL_998 = "LL_998"
UL_998 = "UL_998"
CI_METHOD = "CI_METHOD"
REBASING = "REBASING"
REBASING_FACTOR = "REBASING_FACTOR"
BREAKDOWN_VALUE = "BREAKDOWN_VALUE"
BREAKDOWN_LABEL = "BREAKDOWN_LABEL"
EXPECTED_RAW = "EXPECTED_RAW"
