{{ config(alias='mart_data_quality') }}
{{ chinese_view(ref('mart_data_quality')) }}
