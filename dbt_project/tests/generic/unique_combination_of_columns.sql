{#-
    Generic test: the combination of `combination_of_columns` is unique in the model
    (a composite primary key). Written here because dbt_utils cannot be installed.
    Usage (model level):
        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [city, project_code, period_month]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    select {{ columns_csv }}, count(*) as n_records
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
{% endtest %}
