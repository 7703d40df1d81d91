{#-
    Data tests over the big volunteer models check, in an incremental run, only the rows that
    run wrote; a full refresh (and a first build) tests every row. A test opts in with
        config:
          where: "__new_rows__"
    and get_where_subquery (dbt's own macro, overridden here as dbt's docs show for custom
    `where` logic) puts the model's condition in its place when the test runs:
      stg_volunteers        rows loaded at or after env CAMPAIGN_VOLUNTEER_ROWS_SINCE, the newest
                           loaded_at the table held before the run, which the warehouse runner sets
                           on incremental builds (unset: every row). An environment variable read
                           only at run time, not a --vars value: a var that changes every run would
                           make dbt parse the whole project again each time.
      fct_volunteer_hours  rows this run inserted (built_at = the run's start)
    Other models: every row. dim_volunteer's tests stay whole: over its ~250 k rows at 1 M
    records they take less than finding the volunteers a run recomputed would. Singular tests
    over these models limit themselves in their own SQL.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__new_rows__' in where -%}
        {%- set where = where | replace('__new_rows__', new_rows_condition(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro new_rows_condition(relation) -%}
    {%- set name = relation.identifier if relation.identifier is defined else '' -%}
    {%- set since = env_var('CAMPAIGN_VOLUNTEER_ROWS_SINCE', '') if execute else '' -%}
    {%- if since and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+$', since) -%}
        {{ exceptions.raise_compiler_error("CAMPAIGN_VOLUNTEER_ROWS_SINCE must be a timestamp, got " ~ since) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        1 = 1
    {%- elif name == 'stg_volunteers' and since -%}
        loaded_at >= cast('{{ since }}' as timestamp)
    {%- elif name == 'fct_volunteer_hours' -%}
        built_at = {{ this_run_built_at() }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
