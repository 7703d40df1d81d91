-- The department registry (seed): one row per department of a city.
-- aliases and owes stay '|'-joined, as in the seed.
with source as (
    select * from {{ ref('departments') }}
),

renamed as (
    select
        cast(trim(department_code) as varchar) as department_code,
        cast(trim(city) as varchar)            as city,
        cast(trim(name) as varchar)            as department_name,
        cast(aliases as varchar)               as aliases,
        cast(owes as varchar)                  as owes
    from source
)

select * from renamed
