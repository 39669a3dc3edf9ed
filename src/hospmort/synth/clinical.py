"""The clinical make-up of synthetic activity: kinds of admission, their diagnosis mix, ages, lengths of stay.

Figures are rounded, plausible national proportions for English acute trusts (emergency medicine dominant,
maternity and births, elective surgery, many day cases), not copies of any publication. Every diagnosis code is a
real code of the SHMI ICD-10 lookup; tests assert that each code exists and sits in the group it is listed under.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# --- ages --------------------------------------------------------------------------------------------------
#: Age bands (first year, last year, weight); year 0 means under one year old (``STARTAGE`` 7001-7007).
AGE_FAMILIES: dict[str, tuple[tuple[int, int, float], ...]] = {
    "elderly": ((18, 44, 0.14), (45, 64, 0.24), (65, 74, 0.21), (75, 84, 0.24), (85, 94, 0.15), (95, 102, 0.02)),
    "very_elderly": ((50, 64, 0.05), (65, 74, 0.14), (75, 84, 0.38), (85, 94, 0.37), (95, 102, 0.06)),
    "older_adult": ((30, 44, 0.05), (45, 64, 0.30), (65, 74, 0.27), (75, 84, 0.25), (85, 94, 0.12),
                    (95, 100, 0.01)),
    "adult": ((18, 44, 0.30), (45, 64, 0.33), (65, 74, 0.15), (75, 84, 0.14), (85, 94, 0.07), (95, 100, 0.01)),
    "young_adult": ((16, 29, 0.35), (30, 44, 0.30), (45, 64, 0.25), (65, 84, 0.10)),
    "elective_adult": ((18, 44, 0.18), (45, 64, 0.34), (65, 74, 0.25), (75, 84, 0.18), (85, 94, 0.05)),
    "maternity": ((15, 19, 0.04), (20, 29, 0.42), (30, 39, 0.48), (40, 49, 0.06)),
    "child": ((0, 0, 0.25), (1, 4, 0.30), (5, 9, 0.15), (10, 15, 0.20), (16, 17, 0.10)),
    "newborn": ((0, 0, 1.0),),
    "working_age": ((18, 29, 0.30), (30, 44, 0.30), (45, 64, 0.30), (65, 84, 0.10)),
}
AGE_FAMILY_NAMES = tuple(AGE_FAMILIES)
#: ``STARTAGE`` codes of babies under one who are not being born (7002 = 1-6 days ... 7007 = 9-12 months).
INFANT_STARTAGE_WEIGHTS = ((7002, 0.10), (7003, 0.20), (7004, 0.25), (7005, 0.20), (7006, 0.15), (7007, 0.10))
NEWBORN_STARTAGE = 7001

# --- diagnosis groups: default age family, share of women, common codes ---------------------------------------
#: Default age family of a group in adult activity; groups not listed use ``adult``.
GROUP_AGE_FAMILY: dict[int, str] = {
    **{g: "elderly" for g in (2, 3, 37, 38, 39, 41, 47, 49, 56, 60, 61, 62, 63, 65, 66, 67, 71, 73, 74, 75, 77,
                              79, 81, 96, 98, 89, 99, 100, 101, 103, 107, 108, 112, 113, 128, 129, 135, 136,
                              139, 140, 143, 144, 68, 69, 70, 30, 12, 13, 14, 16)},
    **{g: "very_elderly" for g in (42, 120)},
    **{g: "older_adult" for g in (7, 8, 9, 10, 11, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 31, 142,
                                  54, 55, 57, 58, 64, 72, 34, 35)},
    **{g: "young_adult" for g in (43, 44, 45, 76, 83, 88, 91, 97, 126, 127, 131, 132, 137, 138, 5, 46)},
}
#: Share of women in a group (adult activity); groups not listed have 0.5.
GROUP_FEMALE_SHARE: dict[int, float] = {
    2: 0.48, 18: 0.99, 19: 1.0, 20: 1.0, 21: 1.0, 22: 0.0, 23: 0.25, 42: 0.62, 55: 0.4, 57: 0.35, 58: 0.3,
    59: 0.45, 63: 0.48, 64: 0.35, 65: 0.48, 66: 0.5, 69: 0.2, 93: 0.35, 101: 0.66, 104: 0.0, 105: 1.0,
    106: 1.0, 120: 0.7, 132: 0.6, 124: 0.35, 125: 0.3, 126: 0.3, 127: 0.3, 131: 0.35, 139: 0.6, 36: 0.75,
    111: 0.55, 113: 0.6, 114: 0.55,
}
#: Common codes of a group with relative weights; the other codes of the group share ``RESIDUAL_CODE_SHARE``.
#: Groups not listed draw uniformly from their lookup codes.
GROUP_CODES: dict[int, tuple[tuple[str, float], ...]] = {
    2: (("A419", 80), ("A415", 6), ("A410", 4), ("A408", 3), ("R572", 3)),
    5: (("B24X", 100),),
    6: (("B349", 60), ("B029", 10), ("B019", 5), ("B99X", 15)),
    7: (("C328", 100),),
    8: (("C159", 100),),
    9: (("C169", 100),),
    10: (("C189", 70), ("C187", 30)),
    11: (("C20X", 100),),
    13: (("C259", 100),),
    15: (("C349", 100),),
    18: (("C509", 100),),
    19: (("C541", 100),),
    21: (("C56X", 100),),
    22: (("C61X", 100),),
    23: (("C679", 100),),
    24: (("C64X", 100),),
    25: (("C719", 100),),
    27: (("C911", 40), ("C910", 30), ("C920", 30)),
    28: (("C900", 100),),
    29: (("Z511", 100),),
    30: (("C787", 35), ("C795", 25), ("C780", 20), ("C793", 10), ("C779", 10)),
    33: (("D126", 40), ("D122", 20), ("D251", 40)),
    34: (("E119", 70), ("E109", 30)),
    35: (("E111", 35), ("E101", 40), ("E112", 10), ("E114", 15)),
    36: (("E041", 30), ("E059", 30), ("E162", 40)),
    37: (("E871", 45), ("E86X", 40), ("E876", 15)),
    38: (("E669", 30), ("R634", 20), ("E43X", 20), ("R628", 30)),
    39: (("D649", 35), ("D509", 35), ("D62X", 15), ("D610", 15)),
    42: (("F059", 55), ("F03X", 25), ("R54X", 15), ("F019", 5)),
    43: (("F101", 20), ("F102", 20), ("F329", 20), ("F419", 20), ("F319", 10), ("F603", 10)),
    44: (("R410", 100),),
    45: (("F209", 40), ("F200", 20), ("F250", 20), ("F500", 20)),
    47: (("G20X", 100),),
    48: (("G35X", 100),),
    49: (("I693", 70), ("G819", 30)),
    50: (("G409", 50), ("R568", 40), ("G419", 10)),
    51: (("R402", 100),),
    52: (("H669", 30), ("R42X", 40), ("H251", 30)),
    53: (("G560", 20), ("G934", 20), ("G473", 20)),
    54: (("I350", 100),),
    56: (("I10X", 100),),
    57: (("I214", 60), ("I210", 10), ("I211", 10), ("I219", 20)),
    58: (("I251", 100),),
    59: (("R074", 60), ("R073", 20), ("R072", 10), ("R071", 10)),
    60: (("I269", 100),),
    63: (("I489", 75), ("I471", 10), ("I495", 8), ("I499", 7)),
    65: (("I500", 80), ("I509", 10), ("I501", 10)),
    66: (("I639", 40), ("I634", 20), ("I619", 15), ("I64X", 20), ("I638", 5)),
    67: (("G459", 80), ("I678", 20)),
    68: (("I702", 100),),
    69: (("I714", 100),),
    71: (("I959", 60), ("I951", 40)),
    72: (("I802", 30), ("I803", 30), ("I839", 40)),
    73: (("J189", 62), ("J181", 6), ("J159", 6), ("J180", 10), ("J188", 6), ("J13X", 5), ("J129", 5)),
    74: (("J219", 50), ("J209", 25), ("J22X", 25)),
    75: (("J440", 45), ("J441", 45), ("J449", 5), ("J47X", 5)),
    76: (("J459", 60), ("J46X", 40)),
    78: (("J90X", 70), ("R091", 30)),
    79: (("J969", 60), ("J960", 40)),
    81: (("J841", 30), ("J984", 30), ("R05X", 40)),
    82: (("J069", 35), ("J039", 25), ("J350", 10), ("J351", 10), ("J342", 10), ("J101", 10)),
    83: (("A099", 45), ("A084", 25), ("A090", 20), ("A047", 10)),
    84: (("K219", 70), ("K210", 30)),
    85: (("K259", 50), ("K269", 50)),
    86: (("K297", 50), ("K299", 50)),
    87: (("K409", 70), ("K429", 30)),
    88: (("K509", 50), ("K519", 50)),
    89: (("K566", 60), ("K565", 25), ("K563", 15)),
    90: (("K573", 35), ("K572", 20), ("K602", 15), ("K579", 30)),
    91: (("K358", 60), ("K359", 30), ("K650", 10)),
    92: (("K802", 50), ("K800", 20), ("K810", 15), ("K819", 15)),
    93: (("K703", 50), ("K704", 30), ("K709", 20)),
    94: (("K746", 30), ("K760", 40), ("R17X", 30)),
    95: (("K859", 60), ("K851", 40)),
    96: (("K922", 50), ("K920", 15), ("K921", 15), ("K625", 10), ("K226", 10)),
    97: (("K529", 100),),
    98: (("K590", 40), ("K635", 20), ("K580", 20), ("R13X", 20)),
    99: (("N179", 95), ("N170", 5)),
    100: (("N185", 40), ("N184", 20), ("Z491", 20), ("N10X", 20)),
    101: (("N390", 88), ("N300", 7), ("N136", 5)),
    102: (("N201", 35), ("N200", 25), ("N23X", 30), ("N133", 10)),
    103: (("R31X", 40), ("R33X", 40), ("R32X", 20)),
    104: (("N40X", 50), ("N459", 25), ("N47X", 25)),
    105: (("N832", 20), ("N939", 20), ("N946", 20), ("N819", 20), ("N920", 20)),
    106: (("O800", 18), ("O701", 10), ("O700", 10), ("O342", 10), ("O48X", 8), ("O821", 8), ("O820", 6),
          ("O200", 5), ("O211", 4), ("O479", 6), ("O234", 3), ("O13X", 3), ("O140", 3), ("O244", 3),
          ("O688", 3)),
    107: (("L039", 50), ("L031", 25), ("L030", 10), ("L020", 15)),
    108: (("L97X", 50), ("R21X", 50)),
    110: (("M255", 50), ("R262", 50)),
    111: (("M545", 40), ("M511", 25), ("M480", 20), ("M819", 15)),
    113: (("R296", 50), ("M796", 25), ("M722", 25)),
    114: (("M161", 35), ("M171", 35), ("M201", 10), ("M069", 10), ("M199", 10)),
    115: (("Q211", 60), ("Q250", 40)),
    117: (("P073", 40), ("P071", 30), ("P072", 15), ("P070", 15)),
    118: (("P599", 60), ("P220", 40)),
    119: (("P929", 35), ("P221", 25), ("P285", 20), ("P368", 20)),
    120: (("S720", 70), ("S721", 20), ("S722", 10)),
    121: (("S525", 50), ("S422", 30), ("S423", 20)),
    122: (("S826", 40), ("S822", 30), ("S820", 30)),
    123: (("M232", 30), ("S220", 30), ("S324", 20), ("S321", 20)),
    124: (("S060", 100),),
    126: (("S010", 40), ("S015", 30), ("S019", 30)),
    127: (("S619", 30), ("S618", 30), ("S819", 20), ("S519", 20)),
    128: (("T845", 40), ("T828", 30), ("T857", 30)),
    129: (("T814", 35), ("T810", 25), ("T818", 20), ("T887", 20)),
    130: (("S099", 30), ("S002", 20), ("S301", 25), ("S202", 25)),
    132: (("T391", 45), ("T424", 15), ("T430", 15), ("T401", 10), ("T509", 10), ("T510", 5)),
    133: (("T148", 40), ("T07X", 30), ("T149", 30)),
    134: (("R55X", 100),),
    135: (("R509", 100),),
    136: (("R02X", 50), ("R590", 50)),
    137: (("R11X", 100),),
    138: (("R104", 60), ("R101", 20), ("R103", 20)),
    139: (("R53X", 100),),
    140: (("R69X", 20), ("Z038", 20), ("Z048", 10), ("R688", 10), ("Z501", 15), ("Z513", 10), ("T783", 5),
          ("R529", 10)),
    141: (("Z380", 92), ("Z381", 3), ("Z383", 5)),
    142: (("C859", 100),),
    143: (("U071", 100),),
}
#: Share of a listed group's draws that go to its other lookup codes.
RESIDUAL_CODE_SHARE = 0.08
#: Code prefixes of conditions of one sex only: female-only codes are never drawn for men, and the reverse.
FEMALE_ONLY_PREFIXES = ("O", "Z32", "Z33", "Z34", "Z35", "Z36", "Z37", "Z39", "C51", "C52", "C53", "C54", "C55",
                        "C56", "C57", "C58", "D25", "D26", "D27", "D28", "N7", "N8", "N9", "R87")
MALE_ONLY_PREFIXES = ("C60", "C61", "C62", "C63", "D29", "D40", "N40", "N41", "N42", "N43", "N44", "N45", "N46",
                      "N47", "N48", "N49", "N50", "N51", "R86")
#: Symptom codes (R) that may code the first episode of a multi-episode spell, by supergroup of the true group.
SYMPTOM_CODES_BY_SUPERGROUP: dict[int, tuple[str, ...]] = {
    1: ("R509", "R69X"), 2: ("R53X", "R634"), 3: ("R53X", "R69X"), 4: ("R53X",), 5: ("R410", "R451"),
    6: ("R51X", "R55X", "R42X"), 7: ("R074", "R073", "R060", "R55X", "R000"), 8: ("R060", "R05X", "R509"),
    9: ("R104", "R101", "R11X", "R17X"), 10: ("R33X", "R31X", "R104"), 12: ("R509",), 13: ("R262", "R296"),
    14: ("R69X",), 16: ("R296", "R55X"), 18: ("R69X",),
}
#: Share of the emergency spells of a group that are transferred to another acute trust; default below.
GROUP_TRANSFER_RATE: dict[int, float] = {
    57: 0.14, 58: 0.04, 54: 0.05, 55: 0.04, 64: 0.08, 66: 0.06, 124: 0.12, 125: 0.07, 69: 0.15, 70: 0.07,
    2: 0.025, 12: 0.04, 13: 0.04, 15: 0.025, 89: 0.025, 95: 0.04, 117: 0.08, 118: 0.05, 119: 0.04, 115: 0.10,
    116: 0.05, 141: 0.0, 106: 0.003,
}
DEFAULT_TRANSFER_RATE = 0.022


# --- kinds of activity -----------------------------------------------------------------------------------------
class ActivityKind(StrEnum):
    """The kinds of admission the generator makes; the first six are in SHMI scope at acute trusts."""

    EMERGENCY_MEDICAL = "emergency_medical"
    EMERGENCY_SURGICAL = "emergency_surgical"
    EMERGENCY_PAEDIATRIC = "emergency_paediatric"
    COVID = "covid"
    ELECTIVE = "elective"
    MATERNITY = "maternity"
    BIRTH = "birth"
    DAY_CASE = "day_case"
    REGULAR_ATTENDER = "regular_attender"
    STILLBIRTH = "stillbirth"
    SPECIALIST = "specialist"
    MENTAL_HEALTH = "mental_health"
    COMMUNITY = "community"


class Seasonality(StrEnum):
    EMERGENCY = "emergency"
    ELECTIVE = "elective"
    BIRTHS = "births"
    FLAT = "flat"
    COVID = "covid"


class FillerFamily(StrEnum):
    """Which comorbidity and secondary-code table a spell's secondary diagnoses come from."""

    ADULT = "adult"
    CHILD = "child"
    MATERNITY = "maternity"
    NEWBORN = "newborn"


#: Monthly volume factors (January first).
SEASONAL_FACTORS: dict[Seasonality, tuple[float, ...]] = {
    Seasonality.EMERGENCY: (1.09, 1.07, 1.04, 0.99, 0.96, 0.93, 0.92, 0.92, 0.96, 1.01, 1.05, 1.08),
    Seasonality.ELECTIVE: (0.97, 1.00, 1.05, 0.95, 1.00, 1.03, 1.02, 0.88, 1.02, 1.05, 1.05, 0.85),
    Seasonality.BIRTHS: (0.97, 0.92, 1.00, 0.97, 1.00, 0.98, 1.04, 1.04, 1.05, 1.03, 0.99, 1.00),
    Seasonality.FLAT: (1.0,) * 12,
    Seasonality.COVID: (1.6, 1.3, 0.9, 0.7, 0.6, 0.7, 1.0, 1.0, 0.9, 1.0, 1.1, 1.3),
}
#: COVID-19 admissions by calendar year, relative to 2023 and later.
COVID_YEAR_FACTORS: dict[int, float] = {2020: 6.0, 2021: 5.0, 2022: 2.5}


@dataclass(frozen=True)
class LengthOfStay:
    """Days in hospital: 0 with probability ``p_same_day``, else 1 + a lognormal number of days.

    ``median`` is the median of the lognormal part for a 50-year-old; ``age_slope`` multiplies it by
    ``exp(age_slope * (age - 50) / 10)``.
    """

    p_same_day: float
    median: float
    sigma: float
    age_slope: float = 0.0


@dataclass(frozen=True)
class ActivityProfile:
    """One kind of admission and everything the generator draws for it."""

    kind: ActivityKind
    groups: tuple[tuple[int, float], ...]
    admission_methods: tuple[tuple[str, float], ...]
    admission_sources: tuple[tuple[str, float], ...]
    patient_classes: tuple[tuple[str, float], ...]
    length_of_stay: LengthOfStay
    seasonality: Seasonality
    filler_family: FillerFamily
    #: Multiplies the comorbidity prevalences of the spell's age band.
    comorbidity_scale: float
    #: Probability of a second episode rises with the stay: base + extra * (1 - exp(-days / 6)).
    multi_episode_base: float
    multi_episode_extra: float
    age_family: str | None = None
    female_share: float | None = None
    #: Probability that the first episode of a multi-episode spell is coded with a symptom (R) code.
    symptom_first_rate: float = 0.0
    transfers: bool = False
    readmission_rate: float = 0.0
    specialty_mode: str = "medical"


_EMERGENCY_METHODS = (("21", 78.0), ("22", 4.0), ("23", 1.0), ("24", 4.0), ("25", 1.0), ("28", 6.0),
                      ("2A", 3.0), ("2B", 1.5), ("2D", 1.5))
_USUAL_RESIDENCE = (("19", 96.0), ("29", 1.5), ("51", 1.5), ("87", 0.5), ("39", 0.5))
_ORDINARY = (("1", 1.0),)

EMERGENCY_MEDICAL_GROUPS: tuple[tuple[int, float], ...] = (
    (73, 270), (101, 200), (2, 120), (75, 140), (81, 110), (74, 60), (76, 40), (79, 15), (60, 50), (63, 140),
    (65, 90), (57, 75), (58, 40), (59, 280), (66, 100), (67, 35), (62, 15), (61, 15), (56, 10), (55, 15),
    (54, 10), (64, 5), (99, 70), (100, 15), (102, 40), (103, 30), (37, 60), (35, 35), (34, 5), (36, 10),
    (38, 15), (39, 45), (41, 20), (40, 10), (42, 30), (43, 25), (45, 20), (44, 5), (46, 8), (47, 10), (48, 10),
    (49, 5), (50, 60), (51, 3), (52, 20), (53, 40), (83, 50), (97, 40), (84, 15), (85, 10), (86, 15), (88, 20),
    (93, 20), (94, 20), (95, 30), (96, 70), (98, 50), (107, 110), (108, 15), (109, 10), (110, 20), (111, 40),
    (113, 25), (132, 90), (133, 15), (129, 25), (128, 10), (134, 80), (135, 20), (136, 5), (137, 30), (138, 90),
    (139, 40), (140, 150), (3, 15), (6, 40), (4, 3), (1, 2), (5, 1), (15, 30), (30, 45), (27, 15), (142, 15),
    (13, 10), (10, 12), (8, 8), (9, 6), (12, 8), (14, 6), (29, 10), (25, 8), (28, 8), (23, 8), (22, 8),
    (18, 6), (21, 5), (16, 4), (24, 5), (7, 5), (11, 5), (17, 2), (19, 2), (20, 2), (26, 1), (31, 2), (32, 5),
    (33, 5), (68, 12), (69, 6), (70, 8), (71, 20), (72, 40), (77, 12), (78, 25), (80, 3), (82, 25), (112, 10),
    (114, 5), (104, 5), (105, 10), (130, 30), (92, 30),
)
EMERGENCY_SURGICAL_GROUPS: tuple[tuple[int, float], ...] = (
    (120, 75), (121, 50), (122, 60), (123, 40), (124, 40), (125, 30), (126, 25), (127, 25), (130, 40), (131, 5),
    (133, 30), (91, 50), (89, 40), (87, 25), (92, 90), (90, 30), (98, 30), (138, 150), (95, 30), (102, 40),
    (103, 10), (104, 15), (105, 30), (107, 30), (128, 15), (129, 30), (69, 5), (68, 10), (96, 10), (86, 10),
    (88, 5), (10, 5), (11, 3),
)
EMERGENCY_PAEDIATRIC_GROUPS: tuple[tuple[int, float], ...] = (
    (74, 12), (82, 15), (6, 10), (83, 8), (97, 3), (76, 6), (73, 5), (50, 5), (135, 5), (138, 6), (91, 4),
    (101, 3), (107, 2), (124, 3), (121, 3), (132, 3), (43, 2), (118, 2), (35, 1), (130, 2), (140, 3), (52, 2),
    (37, 2), (137, 2), (115, 0.5), (116, 1), (45, 1),
)
ELECTIVE_GROUPS: tuple[tuple[int, float], ...] = (
    (114, 15), (33, 5), (10, 4), (11, 2), (18, 4), (22, 3), (23, 2), (15, 1.5), (24, 1), (19, 1), (21, 1),
    (7, 1), (8, 0.5), (9, 0.5), (13, 0.5), (25, 0.5), (87, 4), (92, 6), (105, 7), (104, 3), (102, 3), (111, 5),
    (123, 4), (54, 2), (58, 4), (63, 2), (68, 1), (69, 1), (72, 1), (36, 1), (38, 1), (88, 1), (90, 1), (98, 1),
    (128, 2), (129, 1), (52, 1), (82, 3), (113, 1), (53, 1), (100, 1), (29, 2), (27, 1), (142, 1), (30, 1),
    (32, 1), (110, 1),
)
DAY_CASE_GROUPS: tuple[tuple[int, float], ...] = (
    (52, 12), (84, 6), (86, 6), (90, 6), (33, 8), (29, 12), (17, 3), (18, 3), (87, 3), (53, 2), (123, 3),
    (105, 6), (103, 4), (23, 2), (111, 5), (82, 3), (108, 4), (39, 4), (114, 2), (98, 4), (140, 4), (88, 2),
    (113, 1),
)
SPECIALIST_GROUPS: tuple[tuple[int, float], ...] = (
    (15, 3), (18, 3), (22, 2), (27, 2), (142, 2), (29, 4), (30, 2), (54, 3), (58, 4), (63, 3), (57, 2), (65, 1),
    (114, 5), (111, 2), (123, 2), (115, 1), (116, 1), (25, 1), (53, 1),
)
MENTAL_HEALTH_GROUPS: tuple[tuple[int, float], ...] = ((43, 50), (45, 35), (44, 5), (42, 10))
COMMUNITY_GROUPS: tuple[tuple[int, float], ...] = (
    (140, 30), (120, 10), (49, 10), (113, 10), (42, 8), (73, 6), (101, 6), (65, 5), (75, 5), (139, 10),
)

PROFILES: tuple[ActivityProfile, ...] = (
    ActivityProfile(
        ActivityKind.EMERGENCY_MEDICAL, EMERGENCY_MEDICAL_GROUPS, _EMERGENCY_METHODS,
        (("19", 91.0), ("29", 1.0), ("51", 1.0), ("87", 0.3), ("39", 0.2), ("CARE_HOME", 6.5)), _ORDINARY,
        LengthOfStay(0.26, 3.2, 0.95, 0.16), Seasonality.EMERGENCY, FillerFamily.ADULT, 1.0, 0.04, 0.30,
        symptom_first_rate=0.22, transfers=True, readmission_rate=0.11,
    ),
    ActivityProfile(
        ActivityKind.EMERGENCY_SURGICAL, EMERGENCY_SURGICAL_GROUPS, _EMERGENCY_METHODS,
        (("19", 93.0), ("29", 1.5), ("51", 1.0), ("CARE_HOME", 4.5)), _ORDINARY,
        LengthOfStay(0.30, 2.8, 1.0, 0.14), Seasonality.EMERGENCY, FillerFamily.ADULT, 0.85, 0.04, 0.26,
        symptom_first_rate=0.22, transfers=True, readmission_rate=0.08, specialty_mode="surgical",
    ),
    ActivityProfile(
        ActivityKind.EMERGENCY_PAEDIATRIC, EMERGENCY_PAEDIATRIC_GROUPS, _EMERGENCY_METHODS, _USUAL_RESIDENCE,
        _ORDINARY, LengthOfStay(0.42, 1.6, 0.8), Seasonality.EMERGENCY, FillerFamily.CHILD, 1.0, 0.02, 0.15,
        age_family="child", female_share=0.45, symptom_first_rate=0.20, transfers=True,
        readmission_rate=0.05, specialty_mode="paediatric",
    ),
    ActivityProfile(
        ActivityKind.COVID, ((143, 1.0),), (("21", 85.0), ("28", 10.0), ("2A", 5.0)),
        (("19", 90.0), ("CARE_HOME", 10.0)), _ORDINARY, LengthOfStay(0.10, 6.0, 0.9, 0.15),
        Seasonality.COVID, FillerFamily.ADULT, 1.0, 0.05, 0.30, age_family="elderly", female_share=0.47,
        symptom_first_rate=0.20, transfers=True, readmission_rate=0.08,
    ),
    ActivityProfile(
        ActivityKind.ELECTIVE, ELECTIVE_GROUPS, (("11", 58.0), ("12", 24.0), ("13", 18.0)), _USUAL_RESIDENCE,
        _ORDINARY, LengthOfStay(0.12, 2.2, 0.8, 0.08), Seasonality.ELECTIVE, FillerFamily.ADULT, 0.7, 0.03, 0.25,
        age_family="elective_adult", transfers=True, readmission_rate=0.03, specialty_mode="surgical",
    ),
    ActivityProfile(
        ActivityKind.MATERNITY, ((106, 1.0),),
        (("31", 48.0), ("21", 22.0), ("32", 4.0), ("11", 6.0), ("12", 6.0), ("13", 4.0), ("28", 10.0)),
        (("19", 99.0), ("29", 1.0)), (("1", 97.0), ("5", 3.0)), LengthOfStay(0.22, 1.4, 0.6),
        Seasonality.BIRTHS, FillerFamily.MATERNITY, 0.08, 0.03, 0.10, age_family="maternity", female_share=1.0,
        specialty_mode="maternity",
    ),
    ActivityProfile(
        ActivityKind.BIRTH, ((141, 90.0), (117, 4.0), (118, 3.0), (119, 2.5), (115, 0.25), (116, 0.25)),
        (("82", 97.0), ("83", 3.0)), (("79", 100.0),), (("1", 96.0), ("5", 4.0)), LengthOfStay(0.35, 1.3, 0.7),
        Seasonality.BIRTHS, FillerFamily.NEWBORN, 0.0, 0.02, 0.10, age_family="newborn", female_share=0.49,
        transfers=True, readmission_rate=0.03, specialty_mode="newborn",
    ),
    ActivityProfile(
        ActivityKind.DAY_CASE, DAY_CASE_GROUPS, (("11", 55.0), ("12", 30.0), ("13", 15.0)), _USUAL_RESIDENCE,
        (("2", 1.0),), LengthOfStay(1.0, 1.0, 0.1), Seasonality.ELECTIVE, FillerFamily.ADULT, 0.5, 0.0, 0.0,
        age_family="elective_adult", specialty_mode="surgical",
    ),
    ActivityProfile(
        ActivityKind.REGULAR_ATTENDER, ((29, 45.0), (100, 25.0), (140, 20.0), (39, 10.0)),
        (("13", 80.0), ("11", 20.0)), _USUAL_RESIDENCE, (("3", 92.0), ("4", 8.0)), LengthOfStay(1.0, 1.0, 0.1),
        Seasonality.FLAT, FillerFamily.ADULT, 0.6, 0.0, 0.0, age_family="older_adult",
    ),
    ActivityProfile(
        ActivityKind.STILLBIRTH, ((119, 1.0),), (("82", 100.0),), (("79", 100.0),), _ORDINARY,
        LengthOfStay(0.9, 1.0, 0.1), Seasonality.BIRTHS, FillerFamily.NEWBORN, 0.0, 0.0, 0.0,
        age_family="newborn", female_share=0.49, specialty_mode="newborn",
    ),
    ActivityProfile(
        ActivityKind.SPECIALIST, SPECIALIST_GROUPS, (("11", 50.0), ("12", 20.0), ("13", 10.0), ("81", 10.0),
                                                     ("21", 10.0)),
        (("19", 85.0), ("51", 15.0)), (("1", 60.0), ("2", 40.0)), LengthOfStay(0.15, 3.0, 0.9, 0.05),
        Seasonality.ELECTIVE, FillerFamily.ADULT, 0.8, 0.04, 0.25, age_family="older_adult",
        specialty_mode="surgical",
    ),
    ActivityProfile(
        ActivityKind.MENTAL_HEALTH, MENTAL_HEALTH_GROUPS, (("21", 60.0), ("22", 15.0), ("11", 15.0), ("81", 10.0)),
        (("19", 80.0), ("51", 10.0), ("39", 5.0), ("40", 5.0)), _ORDINARY, LengthOfStay(0.02, 28.0, 0.9),
        Seasonality.FLAT, FillerFamily.ADULT, 0.5, 0.05, 0.2, age_family="working_age",
        specialty_mode="mental_health",
    ),
    ActivityProfile(
        ActivityKind.COMMUNITY, COMMUNITY_GROUPS, (("81", 60.0), ("21", 25.0), ("11", 15.0)),
        (("51", 70.0), ("19", 30.0)), _ORDINARY, LengthOfStay(0.01, 18.0, 0.7), Seasonality.FLAT,
        FillerFamily.ADULT, 1.0, 0.03, 0.15, age_family="very_elderly", specialty_mode="community",
    ),
)
PROFILE_BY_KIND = {profile.kind: profile for profile in PROFILES}
#: Kinds of activity of acute trusts that are in SHMI scope (§5), with their share of in-scope index spells.
IN_SCOPE_SHARES: dict[ActivityKind, float] = {
    ActivityKind.EMERGENCY_MEDICAL: 0.360,
    ActivityKind.EMERGENCY_SURGICAL: 0.160,
    ActivityKind.EMERGENCY_PAEDIATRIC: 0.075,
    ActivityKind.COVID: 0.003,
    ActivityKind.ELECTIVE: 0.230,
    ActivityKind.MATERNITY: 0.093,
    ActivityKind.BIRTH: 0.079,
}
#: Out-of-scope activity of acute trusts, relative to their in-scope index spells.
DAY_CASES_PER_IN_SCOPE_SPELL = 0.72
STILLBIRTHS_PER_BIRTH = 0.004
#: Regular day and night attenders: people per 1,000 in-scope spells a year, and attendances a month.
REGULAR_ATTENDERS_PER_1000_SPELLS = 4.0
REGULAR_ATTENDANCES_PER_MONTH = (2, 6)
#: Activity of non-acute trusts a year, relative to the mean acute trust's in-scope spells.
NON_ACUTE_RELATIVE_SIZE: dict[ActivityKind, float] = {
    ActivityKind.SPECIALIST: 0.30,
    ActivityKind.MENTAL_HEALTH: 0.03,
    ActivityKind.COMMUNITY: 0.04,
}
#: Share of deaths of a spell's draw that happen in hospital (the rest within 30 days of discharge).
IN_HOSPITAL_DEATH_SHARE = 0.70
#: Risk of death relative to the model for activity that is out of SHMI scope.
OUT_OF_SCOPE_RISK_FACTOR: dict[ActivityKind, float] = {
    ActivityKind.DAY_CASE: 0.02, ActivityKind.REGULAR_ATTENDER: 0.0, ActivityKind.STILLBIRTH: 0.0,
    ActivityKind.SPECIALIST: 0.6, ActivityKind.MENTAL_HEALTH: 1.0, ActivityKind.COMMUNITY: 0.6,
}
#: Later deaths: chance that a person who survives the 30 days dies 31-400 days after their last discharge.
LATER_DEATH_RATE = 0.035
#: Deaths of people with no spell in the data, relative to the deaths of a month's spells.
DEATHS_WITHOUT_SPELL_SHARE = 0.25
#: A readmission is followed by another with this probability (frequent emergency attenders).
REPEAT_READMISSION_RATE = 0.35
MAX_LEGS = 6
