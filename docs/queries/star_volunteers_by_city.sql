-- 各市有多少星级志愿者（按星级）
-- How many star volunteers each city has, by star level.
-- A volunteer counts in every city where they have a current service record;
-- star_level (0-5) follows the national thresholds on cumulative hours
-- (100 / 300 / 600 / 1,000 / 1,500 h).
with served as (
    select distinct city, volunteer_key
    from marts.fct_volunteer_hours
)
select
    served.city,
    count(*)                                                       as volunteers,
    sum(case when volunteer.star_level >= 1 then 1 else 0 end)     as star_volunteers,
    sum(case when volunteer.star_level = 1 then 1 else 0 end)      as one_star,
    sum(case when volunteer.star_level = 2 then 1 else 0 end)      as two_star,
    sum(case when volunteer.star_level = 3 then 1 else 0 end)      as three_star,
    sum(case when volunteer.star_level = 4 then 1 else 0 end)      as four_star,
    sum(case when volunteer.star_level = 5 then 1 else 0 end)      as five_star
from served
inner join marts.dim_volunteer as volunteer
    on volunteer.volunteer_key = served.volunteer_key
group by served.city
order by served.city
