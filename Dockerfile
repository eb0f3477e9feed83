# The pipeline on the official Airflow image. Build: docker build -t conflict-ingest:0.1.0 .
# Connections come from the environment at run time (AIRFLOW_CONN_AWS_DEFAULT, AIRFLOW_CONN_SMTP_DEFAULT);
# nothing secret is baked into the image.
FROM apache/airflow:3.3.2-python3.11

ENV AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins \
    GX_ANALYTICS_ENABLED=False

# Dependencies first (cached layer), pinned exactly as in requirements.txt.
COPY --chown=airflow:root requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt

# The library (editable, so include/sources.yaml and include/sample_site stay beside it), DAGs and plugins.
COPY --chown=airflow:root pyproject.toml README.md /opt/airflow/
COPY --chown=airflow:root include /opt/airflow/include
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
RUN pip install --no-cache-dir --no-deps -e /opt/airflow \
    && python -c "import conflict_ingest.pipeline.discover, conflict_ingest.pipeline.validate, conflict_ingest.pipeline.land, conflict_ingest.cli"
