"""Airflow adapters shared by the DAG files (not DAGs: listed in ``dags/.airflowignore``)."""
