{{ config(alias='dim_city') }}
{{ chinese_view(ref('dim_city')) }}
