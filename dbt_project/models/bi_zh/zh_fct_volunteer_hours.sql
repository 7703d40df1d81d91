{{ config(alias='fct_volunteer_hours') }}
{{ chinese_view(ref('fct_volunteer_hours')) }}
