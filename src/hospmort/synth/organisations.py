"""Fictional trusts and sites: codes, names, regions, catchments of real LSOAs, sizes, coding habits and the
planted trust effects.

Trust codes start with ``Z`` and are checked against the real ODS list, and place names are invented and checked
against the words of real trust names, so that no invented figure can be read as a real trust's.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort import refdata
from hospmort.config import Month
from hospmort.schema import OrgType, SiteType, TrustType
from hospmort.synth.clinical import ActivityKind
from hospmort.synth.settings import SynthSettings
from hospmort.synth.tables import SegmentedTable

Array = npt.NDArray[Any]

#: Acute trusts per region at national scale (120 in all).
NATIONAL_REGION_WEIGHTS = {"Y56": 18, "Y58": 13, "Y59": 17, "Y60": 21, "Y61": 16, "Y62": 17, "Y63": 18}
SINGLE_GROUP_EFFECT_GROUP = 2
SINGLE_GROUP_ODDS_RATIO = 2.5
RISING_ODDS_RATIO = 1.5
HIGHER_ODDS_RATIO_RANGE = (1.2, 1.5)
#: Palliative care coding (Z51.5 or specialty 315) of dying and surviving spells: typical trust and planted trust.
PALLIATIVE_DYING_RATE = 0.30
PALLIATIVE_SURVIVING_RATE = 0.01
PALLIATIVE_HEAVY_RATES = (0.70, 0.05)
#: Site types after the first (acute) site, with weights.
EXTRA_SITE_TYPES = ((SiteType.ACUTE, 0.35), (SiteType.COMMUNITY, 0.25), (SiteType.MATERNITY, 0.15),
                    (SiteType.SPECIALIST, 0.10), (SiteType.OTHER, 0.15))
_SYLLABLES_START = ("Ash", "Bram", "Cal", "Dun", "Elm", "Fen", "Glen", "Hart", "Ivel", "Kel", "Lang", "Mar",
                    "Nor", "Oak", "Pen", "Quen", "Ros", "Sel", "Thorn", "Ulver", "Wen", "Yar", "Brack", "Cor",
                    "Dray", "Ember", "Fal", "Gorm", "Hal", "Kest")
_SYLLABLES_MIDDLE = ("", "er", "in", "ley")
_SYLLABLES_END = ("by", "ford", "mere", "wick", "ton", "stead", "holme", "dale", "worth", "bridge", "combe",
                  "haven", "field", "moor", "well")
_TRUST_NAME_PATTERNS = ("{a} Hospitals NHS Trust", "{a} and {b} NHS Foundation Trust",
                        "{a} University Hospitals NHS Foundation Trust", "{a} Teaching Hospitals NHS Trust",
                        "{a} and {b} Hospitals NHS Trust", "{a} Healthcare NHS Foundation Trust")
_SITE_NAME_PATTERNS = {
    SiteType.ACUTE: ("{a} General Hospital", "{a} Royal Infirmary", "{a} District Hospital"),
    SiteType.COMMUNITY: ("{a} Community Hospital", "{a} Cottage Hospital"),
    SiteType.MATERNITY: ("{a} Maternity Unit", "{a} Women's Hospital"),
    SiteType.SPECIALIST: ("{a} Heart and Lung Centre", "{a} Orthopaedic Centre", "{a} Cancer Centre"),
    SiteType.OTHER: ("{a} Treatment Centre", "{a} Surgical Centre"),
}
_NON_ACUTE_NAMES = {
    TrustType.SPECIALIST: ("{a} Specialist Hospital NHS Foundation Trust", SiteType.SPECIALIST),
    TrustType.MENTAL_HEALTH: ("{a} Mental Health NHS Foundation Trust", SiteType.OTHER),
    TrustType.COMMUNITY: ("{a} Community Health NHS Trust", SiteType.COMMUNITY),
}


class EffectKind(StrEnum):
    """The planted truth of an acute trust (truth/trust_effects.csv)."""

    NULL = "null"
    HIGHER = "higher"
    LOWER = "lower"
    SINGLE_GROUP = "single_group"
    RISING = "rising"
    PALLIATIVE_HEAVY = "palliative_heavy"


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    site_type: SiteType


@dataclass(frozen=True)
class Trust:
    """One trust with its sites, type, region, size and the habits the generator gives it."""

    code: str
    name: str
    trust_type: TrustType
    region_code: str
    sites: tuple[Site, ...]
    #: Index admissions a year: in-scope spells for acute trusts, all spells for the others.
    annual_spells: float
    age_factor: float
    maternity_factor: float
    elective_factor: float
    emergency_factor: float
    coding_depth: float
    palliative_dying_rate: float
    palliative_surviving_rate: float
    tertiary: bool
    effect: EffectKind
    odds_ratio: float
    effect_group: int | None
    change_month: Month | None
    mean_imd_decile: float


@dataclass(frozen=True)
class Organisations:
    """The trusts of a run (acute first) and the arrays the vectorised generator indexes by trust."""

    trusts: tuple[Trust, ...]
    site_codes: tuple[str, ...]
    site_trust: Array
    site_type: tuple[SiteType, ...]
    #: Segment ``trust * len(SITE_ROLES) + role``: the site of a spell's first episode.
    site_pool: SegmentedTable
    #: Segment ``trust``: the first community site of the trust, or its first site.
    community_site: Array
    #: Segment ``trust``: LSOA index (into ``lsoa_codes``) of a patient.
    lsoa_pool: SegmentedTable
    lsoa_codes: tuple[str, ...]
    lsoa_decile: Array
    #: Segment ``trust``: another acute trust for a transfer or a readmission elsewhere.
    transfer_pool: SegmentedTable
    is_acute: Array
    log_odds_ratio: Array
    effect_group: Array
    change_month_key: Array
    changed_log_odds_ratio: Array
    coding_depth: Array
    palliative_dying_rate: Array
    palliative_surviving_rate: Array

    @property
    def acute_count(self) -> int:
        return int(self.is_acute.sum())


#: The roles a spell's first site is chosen for (index into the site pool).
SITE_ROLES = ("emergency", "maternity", "elective", "day_case")
ROLE_OF_KIND: dict[ActivityKind, int] = {
    ActivityKind.EMERGENCY_MEDICAL: 0, ActivityKind.EMERGENCY_SURGICAL: 0, ActivityKind.EMERGENCY_PAEDIATRIC: 0,
    ActivityKind.COVID: 0, ActivityKind.MATERNITY: 1, ActivityKind.BIRTH: 1, ActivityKind.STILLBIRTH: 1,
    ActivityKind.ELECTIVE: 2, ActivityKind.SPECIALIST: 2, ActivityKind.MENTAL_HEALTH: 0,
    ActivityKind.COMMUNITY: 0, ActivityKind.DAY_CASE: 3, ActivityKind.REGULAR_ATTENDER: 3,
}
_ROLE_SITE_WEIGHTS: dict[int, dict[SiteType, float]] = {
    0: {SiteType.ACUTE: 1.0},
    1: {SiteType.MATERNITY: 4.0, SiteType.ACUTE: 1.0},
    2: {SiteType.ACUTE: 1.0, SiteType.SPECIALIST: 1.0, SiteType.OTHER: 1.0},
    3: {SiteType.ACUTE: 1.0, SiteType.SPECIALIST: 0.6, SiteType.OTHER: 1.2, SiteType.COMMUNITY: 0.5},
}


def _lsoas_by_district() -> dict[str, list[str]]:
    """Real English LSOAs (2011) of the IMD 2019 table, by local authority district, in file order."""
    districts: dict[str, list[str]] = {}
    path = refdata.refdata_path("imd2019", "imd2019_lsoa11_rank_decile.csv")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            districts.setdefault(row["lad19cd"].strip(), []).append(row["lsoa11cd"].strip())
    return districts


def _place_names(rng: np.random.Generator, count: int) -> list[str]:
    """Invented place names, none a word of a real trust's name."""
    real_words = {word for trust in refdata.trusts().values() for word in trust.name.upper().split()}
    candidates = [a + m + b for a in _SYLLABLES_START for m in _SYLLABLES_MIDDLE for b in _SYLLABLES_END
                  if (a + m + b).upper() not in real_words]
    if count > len(candidates):
        raise ValueError(f"only {len(candidates)} invented place names for {count} needed")
    order = rng.permutation(len(candidates))[:count]
    return [candidates[i] for i in order]


def _trust_codes(rng: np.random.Generator, count: int) -> list[str]:
    """Fictional 3-character codes ``Z`` + letter + digit, none of them a real ODS trust code."""
    real = set(refdata.trusts())
    letters = "ABCDEFGHJKLMNPQRSTUVWXY"
    candidates = [f"Z{letter}{digit}" for letter in letters for digit in range(10)]
    candidates = [code for code in candidates if code not in real]
    if count > len(candidates):
        raise ValueError(f"only {len(candidates)} fictional trust codes for {count} needed")
    chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]
    if set(chosen) & real:
        raise AssertionError("a fictional trust code collides with a real ODS code")
    return chosen


def _regions_of_acute_trusts(settings: SynthSettings) -> list[str]:
    profile = settings.profile
    weights = np.array([NATIONAL_REGION_WEIGHTS[r] for r in profile.regions], dtype=float)
    counts = np.floor(weights / weights.sum() * profile.acute_trusts).astype(int)
    for position in np.argsort(-(weights / weights.sum() * profile.acute_trusts - counts), kind="stable"):
        if counts.sum() >= profile.acute_trusts:
            break
        counts[position] += 1
    return [region for region, count in zip(profile.regions, counts, strict=True) for _ in range(count)]


def _lognormal_clipped(rng: np.random.Generator, count: int, sigma: float, low: float, high: float) -> Array:
    """Lognormal factors at evenly spaced quantiles in random order, so that their spread hardly depends on
    the seed even for a handful of trusts."""
    normal = NormalDist()
    quantiles = np.array([normal.inv_cdf((i + 0.5) / count) for i in range(count)])
    values: Array = np.clip(np.exp(sigma * quantiles[rng.permutation(count)]), low, high)
    return values


def _assign_catchments(rng: np.random.Generator, regions: list[str], sizes: Array,
                       districts: dict[str, list[str]]) -> list[list[str]]:
    """Districts for each acute trust (London trusts get London boroughs), about in proportion to size."""
    names = sorted(districts)
    london = [d for d in names if d.startswith("E09")]
    elsewhere = [d for d in names if not d.startswith("E09")]
    pools = {True: [london[i] for i in rng.permutation(len(london))],
             False: [elsewhere[i] for i in rng.permutation(len(elsewhere))]}
    used = {True: 0, False: 0}
    in_london = [r == "Y56" for r in regions]
    share_of_country = min(1.0, len(regions) / 120)
    total_lsoas = {flag: sum(len(districts[d]) for d in pool) for flag, pool in pools.items()}
    size_total = {flag: max(sizes[[i for i, f in enumerate(in_london) if f == flag]].sum(), 1.0)
                  for flag in (True, False)}
    catchments: list[list[str]] = [[] for _ in regions]
    for trust in np.argsort(-sizes, kind="stable"):
        flag = in_london[trust]
        target = total_lsoas[flag] * share_of_country * sizes[trust] / size_total[flag]
        count = 0
        while not catchments[trust] or count < target:
            pool = pools[flag]
            district = pool[used[flag] % len(pool)]
            used[flag] += 1
            catchments[trust].append(district)
            count += len(districts[district])
            if used[flag] >= len(pool) * 3:
                break
    return catchments


def build_organisations(settings: SynthSettings, rng: np.random.Generator) -> Organisations:
    """The trusts, sites, catchments and planted effects of a run (deterministic in ``rng``)."""
    profile = settings.profile
    regions = _regions_of_acute_trusts(settings)
    n_acute = len(regions)
    non_acute_types = ([TrustType.SPECIALIST] * profile.specialist_trusts
                       + [TrustType.MENTAL_HEALTH] * profile.mental_health_trusts
                       + [TrustType.COMMUNITY] * profile.community_trusts)
    n_trusts = n_acute + len(non_acute_types)
    codes = _trust_codes(rng, n_trusts)
    places = _place_names(rng, 2 * n_trusts + 5 * n_trusts)

    relative_size = _lognormal_clipped(rng, n_acute, 0.55, 0.32, 3.2)
    annual = relative_size / relative_size.sum() * profile.in_scope_spells_per_year
    age_factor = _lognormal_clipped(rng, n_acute, 0.40, 0.5, 2.0)
    maternity_factor = _lognormal_clipped(rng, n_acute, 0.45, 0.3, 2.2)
    maternity_factor[rng.random(n_acute) < 0.12] = 0.0
    elective_factor = _lognormal_clipped(rng, n_acute, 0.35, 0.45, 2.0)
    emergency_factor = _lognormal_clipped(rng, n_acute, 0.15, 0.7, 1.4)
    coding_depth = _lognormal_clipped(rng, n_trusts, 0.22, 0.6, 1.6)
    palliative_dying = np.clip(rng.normal(PALLIATIVE_DYING_RATE, 0.07, n_trusts), 0.12, 0.48)
    palliative_surviving = np.clip(rng.normal(PALLIATIVE_SURVIVING_RATE, 0.003, n_trusts), 0.004, 0.02)
    tertiary = np.zeros(n_acute, dtype=bool)
    tertiary[np.argsort(-annual, kind="stable")[: max(1, round(0.15 * n_acute))]] = True

    effects = [EffectKind.NULL] * n_acute
    odds = np.ones(n_acute)
    # The single-group trust is one of the three largest and the rising trust one of the larger half, so that
    # one group or part of the period holds enough deaths for their effects to show; the other planted trusts
    # are any but the smallest fifth (whose funnel limits are too wide for an odds ratio of 1.2 to show).
    by_size = np.argsort(-annual, kind="stable")
    single = rng.choice(by_size[:3])
    rising = rng.choice(np.setdiff1d(by_size[: max(2, n_acute // 2)], [single]))
    focused = np.array([single, rising])
    smallest = by_size[n_acute - n_acute // 5:]
    others = rng.permutation(np.setdiff1d(np.arange(n_acute), np.concatenate([focused, smallest])))
    planted = [EffectKind.SINGLE_GROUP, EffectKind.RISING, EffectKind.PALLIATIVE_HEAVY,
               *[EffectKind.HIGHER] * profile.higher_trusts, *[EffectKind.LOWER] * profile.lower_trusts]
    chosen = np.concatenate([focused, others[: len(planted) - 2]])
    for trust, kind in zip(chosen, planted, strict=True):
        effects[trust] = kind
        if kind is EffectKind.HIGHER:
            odds[trust] = rng.uniform(*HIGHER_ODDS_RATIO_RANGE)
        elif kind is EffectKind.LOWER:
            odds[trust] = 1.0 / rng.uniform(*HIGHER_ODDS_RATIO_RANGE)
        elif kind is EffectKind.SINGLE_GROUP:
            odds[trust] = SINGLE_GROUP_ODDS_RATIO
        elif kind is EffectKind.RISING:
            odds[trust] = RISING_ODDS_RATIO
        elif kind is EffectKind.PALLIATIVE_HEAVY:
            palliative_dying[trust], palliative_surviving[trust] = PALLIATIVE_HEAVY_RATES

    districts = _lsoas_by_district()
    catchments = _assign_catchments(rng, regions, annual, districts)
    decile_of = refdata.imd_decile_by_lsoa()
    lsoa_codes = tuple(sorted(decile_of))
    lsoa_index = {code: i for i, code in enumerate(lsoa_codes)}

    mean_size = profile.in_scope_spells_per_year / n_acute
    non_acute_regions = [profile.regions[i % len(profile.regions)] for i in range(len(non_acute_types))]
    place_iter = iter(places)
    trusts: list[Trust] = []
    lsoa_segments: list[list[tuple[int, float]]] = []
    for position in range(n_trusts):
        acute = position < n_acute
        first, second = next(place_iter), next(place_iter)
        if acute:
            pattern = _TRUST_NAME_PATTERNS[int(rng.integers(len(_TRUST_NAME_PATTERNS)))]
            name = pattern.format(a=first, b=second)
            n_sites = 1 + int(rng.binomial(4, min(0.85, 0.12 + 0.18 * relative_size[position])))
            types = [SiteType.ACUTE] + [
                EXTRA_SITE_TYPES[int(i)][0]
                for i in rng.choice(len(EXTRA_SITE_TYPES), size=n_sites - 1,
                                    p=[w for _, w in EXTRA_SITE_TYPES])
            ]
            members = [lsoa for d in catchments[position] for lsoa in districts[d] if lsoa in lsoa_index]
            region = regions[position]
        else:
            trust_type = non_acute_types[position - n_acute]
            pattern, site_type = _NON_ACUTE_NAMES[trust_type]
            name = pattern.format(a=first)
            types = [site_type] * (1 + int(rng.integers(0, 2)))
            all_catchment = [lsoa for c in catchments for d in c for lsoa in districts[d] if lsoa in lsoa_index]
            members = all_catchment[:: max(1, len(all_catchment) // 4000)]
            region = non_acute_regions[position - n_acute]
        site_places = [next(place_iter) for _ in range(5)]
        sites = tuple(
            Site(f"{codes[position]}{number + 1:02d}",
                 _SITE_NAME_PATTERNS[kind][int(rng.integers(len(_SITE_NAME_PATTERNS[kind])))].format(
                     a=site_places[number]), kind)
            for number, kind in enumerate(types)
        )
        deciles = [decile_of[lsoa] for lsoa in members]
        lsoa_segments.append([(lsoa_index[lsoa], 1.0) for lsoa in members])
        if acute:
            trusts.append(Trust(
                code=codes[position], name=name, trust_type=TrustType.ACUTE, region_code=region, sites=sites,
                annual_spells=float(annual[position]), age_factor=float(age_factor[position]),
                maternity_factor=float(maternity_factor[position]),
                elective_factor=float(elective_factor[position]),
                emergency_factor=float(emergency_factor[position]), coding_depth=float(coding_depth[position]),
                palliative_dying_rate=float(palliative_dying[position]),
                palliative_surviving_rate=float(palliative_surviving[position]), tertiary=bool(tertiary[position]),
                effect=effects[position], odds_ratio=float(odds[position]),
                effect_group=SINGLE_GROUP_EFFECT_GROUP if effects[position] is EffectKind.SINGLE_GROUP else None,
                change_month=settings.rising_change_month if effects[position] is EffectKind.RISING else None,
                mean_imd_decile=float(np.mean(deciles)),
            ))
        else:
            non_acute_type = non_acute_types[position - n_acute]
            trusts.append(Trust(
                code=codes[position], name=name, trust_type=non_acute_type, region_code=region, sites=sites,
                annual_spells=mean_size * _non_acute_size(non_acute_type), age_factor=1.0, maternity_factor=0.0,
                elective_factor=1.0, emergency_factor=1.0, coding_depth=float(coding_depth[position]),
                palliative_dying_rate=float(palliative_dying[position]),
                palliative_surviving_rate=float(palliative_surviving[position]), tertiary=False,
                effect=EffectKind.NULL, odds_ratio=1.0, effect_group=None, change_month=None,
                mean_imd_decile=float(np.mean(deciles)),
            ))
    return _assemble(trusts, lsoa_segments, lsoa_codes, decile_of)


def _non_acute_size(trust_type: TrustType) -> float:
    from hospmort.synth.clinical import NON_ACUTE_RELATIVE_SIZE

    kind = {TrustType.SPECIALIST: ActivityKind.SPECIALIST, TrustType.MENTAL_HEALTH: ActivityKind.MENTAL_HEALTH,
            TrustType.COMMUNITY: ActivityKind.COMMUNITY}[trust_type]
    return NON_ACUTE_RELATIVE_SIZE[kind]


def _assemble(trusts: list[Trust], lsoa_segments: list[list[tuple[int, float]]], lsoa_codes: tuple[str, ...],
              decile_of: dict[str, int]) -> Organisations:
    site_codes: list[str] = []
    site_trust: list[int] = []
    site_types: list[SiteType] = []
    site_segments: list[list[tuple[int, float]]] = []
    community_site: list[int] = []
    for position, trust in enumerate(trusts):
        first = len(site_codes)
        for site in trust.sites:
            site_codes.append(site.code)
            site_trust.append(position)
            site_types.append(site.site_type)
        community = [first + i for i, s in enumerate(trust.sites) if s.site_type is SiteType.COMMUNITY]
        community_site.append(community[0] if community else first)
        for role in range(len(SITE_ROLES)):
            weights = _ROLE_SITE_WEIGHTS[role]
            segment = [(first + i, weights.get(s.site_type, 0.0) * (2.0 if i == 0 else 1.0))
                       for i, s in enumerate(trust.sites)]
            if sum(w for _, w in segment) <= 0:
                segment = [(first, 1.0)]
            site_segments.append(segment)
    acute = [i for i, t in enumerate(trusts) if t.trust_type is TrustType.ACUTE]
    transfer_segments: list[list[tuple[int, float]]] = []
    for position, trust in enumerate(trusts):
        others = [i for i in acute if i != position] or [position]
        same_region = [i for i in others if trusts[i].region_code == trust.region_code] or others
        transfer_segments.append([
            (i, math.sqrt(trusts[i].annual_spells) * (5.0 if trusts[i].tertiary else 1.0)) for i in same_region
        ])
    return Organisations(
        trusts=tuple(trusts),
        site_codes=tuple(site_codes),
        site_trust=np.asarray(site_trust, dtype=np.int32),
        site_type=tuple(site_types),
        site_pool=SegmentedTable.build(site_segments),
        community_site=np.asarray(community_site, dtype=np.int32),
        lsoa_pool=SegmentedTable.build(lsoa_segments),
        lsoa_codes=lsoa_codes,
        lsoa_decile=np.asarray([decile_of[c] for c in lsoa_codes], dtype=np.int8),
        transfer_pool=SegmentedTable.build(transfer_segments),
        is_acute=np.asarray([t.trust_type is TrustType.ACUTE for t in trusts], dtype=bool),
        log_odds_ratio=np.asarray([
            math.log(t.odds_ratio) if t.effect in (EffectKind.HIGHER, EffectKind.LOWER) else 0.0 for t in trusts
        ]),
        effect_group=np.asarray([t.effect_group or 0 for t in trusts], dtype=np.int16),
        change_month_key=np.asarray([_change_key(t.change_month) for t in trusts], dtype=np.int64),
        changed_log_odds_ratio=np.asarray([
            math.log(t.odds_ratio) if t.effect in (EffectKind.RISING, EffectKind.SINGLE_GROUP) else 0.0
            for t in trusts
        ]),
        coding_depth=np.asarray([t.coding_depth for t in trusts]),
        palliative_dying_rate=np.asarray([t.palliative_dying_rate for t in trusts]),
        palliative_surviving_rate=np.asarray([t.palliative_surviving_rate for t in trusts]),
    )


def _change_key(month: Month | None) -> int:
    from hospmort.synth.settings import month_key

    return month_key(month) if month is not None else -1


def organisation_rows(organisations: Organisations) -> list[dict[str, str]]:
    """Rows of ``organisations.csv`` (data contract §3): each trust, then its sites."""
    rows: list[dict[str, str]] = []
    for trust in organisations.trusts:
        region_name = refdata.REGION_NAMES[trust.region_code]
        rows.append({"org_code": trust.code, "org_name": trust.name, "org_type": OrgType.TRUST.value,
                     "parent_code": "", "region_code": trust.region_code, "region_name": region_name,
                     "trust_type": trust.trust_type.value, "site_type": ""})
        for site in trust.sites:
            rows.append({"org_code": site.code, "org_name": site.name, "org_type": OrgType.SITE.value,
                         "parent_code": trust.code, "region_code": trust.region_code,
                         "region_name": region_name, "trust_type": "", "site_type": site.site_type.value})
    return rows
