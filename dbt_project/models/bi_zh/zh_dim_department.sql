{{ config(alias='dim_department') }}
{{ chinese_view(ref('dim_department')) }}
