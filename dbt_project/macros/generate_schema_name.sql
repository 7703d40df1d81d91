{#-
    Use a model's custom schema name verbatim (staging, intermediate, marts, seeds)
    instead of dbt's default "<target_schema>_<custom_schema>", so that analysts and
    BI tools find the same schema names on DuckDB and PostgreSQL.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
