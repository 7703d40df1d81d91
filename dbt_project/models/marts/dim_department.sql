-- Member departments of each city's campaign (seed `departments`): one row per
-- department. aliases and owes are '|'-joined as in the registry.
select
    cast(department_code as varchar) as department_code,
    cast(city as varchar)            as city,
    cast(department_name as varchar) as name,
    cast(aliases as varchar)         as aliases,
    cast(owes as varchar)            as owes
from {{ ref('stg_departments') }}
