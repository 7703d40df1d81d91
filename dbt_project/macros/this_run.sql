{#-
    This run's start, as fct_volunteer_hours stamps it in built_at (rows kept from an earlier
    run keep theirs). int_volunteer_submissions_added, int_volunteers_touched and the tests
    limited to the rows a run wrote compare built_at with it; they run in the same
    `dbt build` as fct_volunteer_hours (the warehouse builds the whole project at once).
-#}
{% macro this_run_built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
