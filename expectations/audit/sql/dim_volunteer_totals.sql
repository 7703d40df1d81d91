with fact as (
    select volunteer_key, cast(sum(hours) as decimal(18, 2)) as fact_total_hours
    from marts.fct_volunteer_hours group by volunteer_key
), joined as (
    select coalesce(d.volunteer_key, f.volunteer_key) as volunteer_key,
           d.volunteer_key is not null as in_dim, f.volunteer_key is not null as in_fact,
           cast(coalesce(d.total_hours, 0) as decimal(18, 2)) as dim_total_hours,
           coalesce(f.fact_total_hours, 0) as fact_total_hours,
           coalesce(d.star_level, 0) as star_level
    from marts.dim_volunteer d full join fact f on d.volunteer_key = f.volunteer_key
)
select *, {star_case} as standard_star_level from joined order by volunteer_key
