{{ config(alias='mart_submission_status') }}
{{ chinese_view(ref('mart_submission_status')) }}
