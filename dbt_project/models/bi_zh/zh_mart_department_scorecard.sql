{{ config(alias='mart_department_scorecard') }}
{{ chinese_view(ref('mart_department_scorecard')) }}
