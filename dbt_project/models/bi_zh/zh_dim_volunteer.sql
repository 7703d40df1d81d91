{{ config(alias='dim_volunteer') }}
{{ chinese_view(ref('dim_volunteer')) }}
