{{ config(alias='fct_investment_latest') }}
{{ chinese_view(ref('fct_investment_latest')) }}
