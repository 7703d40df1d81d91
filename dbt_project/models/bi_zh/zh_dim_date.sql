{{ config(alias='dim_date') }}
{{ chinese_view(ref('dim_date')) }}
