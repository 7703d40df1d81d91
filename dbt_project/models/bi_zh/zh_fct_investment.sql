{{ config(alias='fct_investment') }}
{{ chinese_view(ref('fct_investment')) }}
