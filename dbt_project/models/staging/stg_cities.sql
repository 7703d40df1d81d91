-- The city registry (seed): one row per city.
with source as (
    select * from {{ ref('cities') }}
),

renamed as (
    select
        cast(trim(city) as varchar)      as city,
        cast(trim(city_code) as varchar) as city_code,
        cast(trim(province) as varchar)  as province
    from source
)

select * from renamed
