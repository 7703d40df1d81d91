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

{#-
    PostgreSQL plans from table statistics, and a table dbt has just created or filled has none
    until autovacuum gets to it: without them the planner took dim_volunteer's join of 10 k
    touched records with 1 M staged ones for billions of rows and sorted both sides on disk
    (5 s instead of 1.7 s at 1 M records). A post-hook of the big volunteer tables; DuckDB keeps
    its statistics itself, so there it is empty and dbt runs nothing.
-#}
{% macro refresh_planner_statistics() -%}
    {%- if target.type == 'postgres' -%}analyze {{ this }}{%- endif -%}
{%- endmacro %}

{#- Month label of a date, e.g. 2022-05: what BI tools group and sort by as text. -#}
{% macro month_label(expr) -%}
    cast(cast(extract(year from {{ expr }}) as integer) as varchar) || '-'
        || lpad(cast(cast(extract(month from {{ expr }}) as integer) as varchar), 2, '0')
{%- endmacro %}

{#- Quarter label of a date, e.g. 2022Q2. -#}
{% macro quarter_label(expr) -%}
    cast(cast(extract(year from {{ expr }}) as integer) as varchar) || 'Q'
        || cast(cast(extract(quarter from {{ expr }}) as integer) as varchar)
{%- endmacro %}
