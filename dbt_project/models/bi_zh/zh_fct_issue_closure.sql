{{ config(alias='fct_issue_closure') }}
{{ chinese_view(ref('fct_issue_closure')) }}
