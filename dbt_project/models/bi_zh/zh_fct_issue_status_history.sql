{{ config(alias='fct_issue_status_history') }}
{{ chinese_view(ref('fct_issue_status_history')) }}
