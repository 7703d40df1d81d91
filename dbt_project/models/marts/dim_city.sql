-- Cities of the campaign (seed `cities`): one row per city.
select
    cast(city as varchar)      as city,
    cast(city_code as varchar) as city_code,
    cast(province as varchar)  as province
from {{ ref('stg_cities') }}
