{#-
    Use a model's custom schema name verbatim (staging, intermediate, marts, seeds)
    instead of dbt's default "<target_schema>_<custom_schema>", so that analysts and
    BI tools find the same schema names on DuckDB and PostgreSQL.

    CAMPAIGN_SCHEMA_SUFFIX (PostgreSQL write-audit-publish) builds every schema as
    <name><suffix>, e.g. marts__candidate; publish then renames the candidate schemas
    over the published ones in one transaction (warehouse/postgres/publish.py).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set suffix = env_var('CAMPAIGN_SCHEMA_SUFFIX', '') | trim -%}
    {%- if suffix and not modules.re.match('^__[a-z0-9_]+$', suffix) -%}
        {{ exceptions.raise_compiler_error("CAMPAIGN_SCHEMA_SUFFIX must look like __candidate, got " ~ suffix) }}
    {%- endif -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ suffix }}
    {%- endif -%}
{%- endmacro %}
