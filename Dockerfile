# The campaign warehouse's Airflow image (docker-compose.yml): the pinned environment of
# requirements.lock, the Celery executor's pins of requirements-celery.lock, and this repository
# under /opt/campaign/app. Every service runs `airflow <command>`.

# The Data Docs' web assets (vendor/package-lock.json), fetched with Debian's npm in a stage of their
# own: the image keeps the files, not Node.js.
FROM python:3.11-slim AS web-assets
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm > /dev/null
WORKDIR /assets
COPY vendor/package.json vendor/package-lock.json vendor/.npmrc ./
RUN npm ci

FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 AIRFLOW_HOME=/opt/airflow
WORKDIR /opt/campaign/app
COPY requirements.lock requirements-celery.lock ./
# pip's cache lives in BuildKit's cache, not in the image: a changed lock re-downloads only what changed
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.lock -r requirements-celery.lock
COPY . .
COPY --from=web-assets /assets/node_modules vendor/node_modules
RUN useradd --create-home --uid 50000 airflow \
 && mkdir -p /srv/campaign/landing /srv/campaign/archive /srv/campaign/receipts /srv/campaign/warehouse \
             /opt/airflow/logs /opt/airflow/secrets \
 && chown -R airflow /srv/campaign /opt/airflow
USER airflow
ENTRYPOINT ["airflow"]
