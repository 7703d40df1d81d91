{#-
    Small SQL helpers that render to the same SQL on DuckDB and PostgreSQL
    (no dbt_utils: packages cannot be installed in this environment).
-#}

{#- First day of the month of a date or timestamp expression, as a date. -#}
{% macro month_start(expr) -%}
    cast(date_trunc('month', {{ expr }}) as date)
{%- endmacro %}

{#- Last day of the month of a date expression, as a date. -#}
{% macro month_end(expr) -%}
    cast(cast(date_trunc('month', {{ expr }}) as date) + interval '1 month' - interval '1 day' as date)
{%- endmacro %}

{#- Whole days from start_date to end_date (end - start), as integer. -#}
{% macro days_between(start_date, end_date) -%}
    cast(({{ end_date }}) - ({{ start_date }}) as integer)
{%- endmacro %}

{#-
    numerator / denominator rounded half-up to `scale` decimals and cast to
    numeric(precision, scale); null when the denominator is null or 0.

    DuckDB divides decimals in double precision while PostgreSQL divides them
    exactly, so a plain cast(a / b as numeric(9,4)) can differ in the last digit
    between the two adapters. Both adapters do the arithmetic below in IEEE
    doubles with the same operations, so they return identical values.
    Intended for non-negative inputs (amounts, counts).
-#}
{% macro safe_ratio(numerator, denominator, scale=4, precision=9) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(
            floor(
                cast({{ numerator }} as float8) * {{ 10 ** scale }}
                / cast({{ denominator }} as float8)
                + 0.5
            ) / {{ 10 ** scale }}
            as numeric({{ precision }}, {{ scale }})
        )
    end
{%- endmacro %}
