{#-
    Schema bi_zh: one view per mart with Chinese column names, for BI tools whose users expect
    them (帆软 FineBI/FineReport and the like). Each view names its mart itself (its ref); these
    macros only read that mart's documentation from the graph:
      * a column's Chinese name is the Chinese half of its description (before " / "), cut at
        the first （，：； unless the parenthesis is a unit: 计划总投资（元）, 服务时长（小时）;
      * the view and each of its columns get the mart's descriptions as comments (post-hook);
      * on PostgreSQL the view runs with the rights of the caller (security_invoker), so a row
        filter on the mart applies through it.
-#}

{% macro mart_node(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {%- do return(node) -%}
    {%- endfor -%}
    {%- do exceptions.raise_compiler_error('bi_zh: no mart named ' ~ name) -%}
{%- endmacro %}

{% macro chinese_name(column) -%}
    {%- set zh = (column.description or '').split(' / ')[0] | trim -%}
    {%- set m = modules.re.match('^([^（，：；]+)(（(元|小时|天)[）,，])?', zh) -%}
    {%- if not m or not modules.re.search('[\u4e00-\u9fff]', m.group(1)) -%}
        {%- do exceptions.raise_compiler_error('bi_zh: no Chinese name in the description of column ' ~ column.name) -%}
    {%- endif -%}
    {%- set name = m.group(1) | trim ~ ('（' ~ m.group(3) ~ '）' if m.group(3) else '') -%}
    {%- if name | length * 3 > 63 -%}
        {%- do exceptions.raise_compiler_error('bi_zh: Chinese name too long for PostgreSQL: ' ~ name) -%}
    {%- endif -%}
    {%- do return(name) -%}
{%- endmacro %}

{#- (mart column, Chinese name, description) of every documented column of the mart. -#}
{% macro chinese_columns(name) -%}
    {%- set out = [] -%}
    {%- set seen = [] -%}
    {%- if execute -%}
        {%- for column in mart_node(name).columns.values() -%}
            {%- set zh = chinese_name(column) -%}
            {%- if zh in seen -%}
                {%- do exceptions.raise_compiler_error('bi_zh: two columns of ' ~ name ~ ' would be named ' ~ zh) -%}
            {%- endif -%}
            {%- do seen.append(zh) -%}
            {%- do out.append((column.name, zh, column.description)) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(out) -%}
{%- endmacro %}

{#- The view's query: the mart's columns under their Chinese names. -#}
{% macro chinese_view(mart) -%}
    select
    {%- for column, zh, _ in chinese_columns(mart.identifier) %}
        {{ adapter.quote(column) }} as {{ adapter.quote(zh) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ mart.include(database=false) }}
{%- endmacro %}

{#- Post-hook of every bi_zh view: comments from the mart's docs; security_invoker on PostgreSQL. -#}
{% macro bi_zh_view_finish() -%}
    {%- if execute -%}
        {%- set mart = mart_node(this.identifier) -%}
        comment on view {{ this }} is {{ bi_zh_literal(mart.description) }};
        {%- for column, zh, description in chinese_columns(this.identifier) %}
        comment on column {{ this }}.{{ adapter.quote(zh) }} is {{ bi_zh_literal(description) }};
        {%- endfor %}
        {%- if target.type == 'postgres' %}
        alter view {{ this }} set (security_invoker = true);
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{% macro bi_zh_literal(text) -%}
    '{{ (text or '') | trim | replace("'", "''") }}'
{%- endmacro %}
