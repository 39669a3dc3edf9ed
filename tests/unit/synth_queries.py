"""DuckDB queries that read a synthetic data set the way the methodology does, written independently of the
hospmort pipeline (and of the generator), for the synthetic-data tests.

* ``spells``: provider spells (shmi.md §4) of finished episodes, exact duplicate rows removed first;
* ``scope``: each spell with ``in_scope`` (shmi.md §5, over every month of the data);
* ``outcome``: in-scope spells with ``died`` and ``died_in_hospital`` (shmi.md §6) and ``transferred_out``
  (the person's next spell is at another trust 0-2 days later with a transfer marker, hsmr.md §3.2).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ACUTE_TRUSTS = "select org_code from orgs where org_type = 'trust' and trust_type = 'acute'"


def open_synth(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create view episodes as select * from read_parquet('{folder}/episodes/*.parquet')")
    con.execute(f"create view deaths as select * from read_parquet('{folder}/deaths.parquet')")
    con.execute(f"create view orgs as select * from read_csv('{folder}/organisations.csv', all_varchar = true)")
    con.execute(f"create view truth as select * from read_csv('{folder}/truth/expected_deaths.csv', "
                "types = {'DIAGNOSIS_GROUP': 'INTEGER'})")
    con.execute(f"create view effects as select * from read_csv('{folder}/truth/trust_effects.csv', "
                "all_varchar = true)")
    return con


def build_spells(con: duckdb.DuckDBPyConnection) -> None:
    """Tables ``spells``, ``scope`` and ``outcome`` described in the module docstring."""
    con.execute("""
        create or replace table spells as
        select HESID, PROCODE3, PROVSPNOPS, count(*) as n_episodes,
               arg_min(ADMIDATE, EPIORDER::int) as admidate, arg_min(ADMIMETH, EPIORDER::int) as admimeth,
               arg_min(ADMISORC, EPIORDER::int) as admisorc, arg_min(CLASSPAT, EPIORDER::int) as classpat,
               arg_min(STARTAGE, EPIORDER::int) as startage, arg_min(SEX, EPIORDER::int) as sex,
               arg_min(DIAG_4_01, EPIORDER::int) as first_diagnosis,
               bool_or(list_contains([DIAG_4_02, DIAG_4_03, DIAG_4_04, DIAG_4_05, DIAG_4_06, DIAG_4_07,
                                      DIAG_4_08, DIAG_4_09, DIAG_4_10, DIAG_4_11, DIAG_4_12, DIAG_4_13,
                                      DIAG_4_14, DIAG_4_15, DIAG_4_16, DIAG_4_17, DIAG_4_18, DIAG_4_19,
                                      DIAG_4_20], 'Z515')
                       or TRETSPEF in ('315', '240')) as palliative,
               arg_max(DISDATE, EPIORDER::int) as disdate, arg_max(DISMETH, EPIORDER::int) as dismeth,
               arg_max(DISDEST, EPIORDER::int) as disdest
        from (select distinct * from episodes)
        where EPISTAT = '3'
        group by all
    """)
    con.execute(f"""
        create or replace table scope as
        select *, (
            disdate is not null and disdate <> '1800-01-01' and dismeth is not null
            and dismeth not in ('8', '9') and admidate is not null and admidate <= disdate
            and classpat in ('1', '5') and dismeth <> '5'
            and (try_cast(startage as integer) between 0 and 120
                 or try_cast(startage as integer) between 7001 and 7007)
            and sex in ('1', '2')
            and admimeth not in ('98', '99')
            and PROCODE3 in ({ACUTE_TRUSTS})
        ) as in_scope
        from spells
    """)
    con.execute("""
        create or replace table outcome as
        with ordered as (
            select s.*, lead(PROCODE3) over person as next_trust, lead(admidate) over person as next_admidate,
                   lead(admisorc) over person as next_admisorc, lead(admimeth) over person as next_admimeth
            from scope as s
            window person as (partition by HESID order by admidate, disdate nulls last, PROCODE3, PROVSPNOPS)
        ),
        judged as (
            select o.*, d.DOD,
                   in_scope and (dismeth = '4' or (d.DOD is not null
                       and date_diff('day', disdate::date, d.DOD::date) between 0 and 30)) as qualifying,
                   (next_trust is not null and next_trust <> PROCODE3
                    and date_diff('day', disdate::date, next_admidate::date) between 0 and 2
                    and (disdest in ('49', '50', '51', '52', '53', '84', '87')
                         or next_admisorc in ('49', '50', '51', '52', '53', '87')
                         or next_admimeth in ('81', '2B'))) as transferred_out
            from ordered as o left join deaths as d using (HESID)
        ),
        last_qualifying as (
            select *, row_number() over (partition by HESID, qualifying
                                         order by disdate desc, admidate desc, PROCODE3 desc, PROVSPNOPS desc)
                      as from_last
            from judged
        )
        select *, qualifying and from_last = 1 as died, qualifying and from_last = 1 and dismeth = '4'
                  as died_in_hospital
        from last_qualifying
        where in_scope
    """)
