# The server's image: one image for every process, chosen by command (compose.yaml): gunicorn
# (the default, below), the Celery worker, Celery beat and `manage.py migrate`. Production
# settings: DEBUG is off, so SECRET_KEY (or SECRET_KEY_FILE) must be given at run time.
#
#   docker build --build-arg VERSION=$(git describe --always) --build-arg COMMIT=$(git rev-parse HEAD) .

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
# The runtime set only: tests and tools (requirements-dev.txt) stay out of the image.
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

WORKDIR /app
COPY . .
# Static files are collected (and hashed, compressed) here so that whitenoise serves them from
# a read-only image; the key only lets settings load, nothing is signed at build time.
RUN DEBUG=false SECRET_KEY=collectstatic-only /opt/venv/bin/python manage.py collectstatic --noinput \
    && /opt/venv/bin/python -m compileall -q accounts emails oauth subscriptions fxa_project

# /__version__ (accounts/health.py get_version) answers this file: Dockerflow's version.json.
ARG SOURCE=fxa-django
ARG VERSION=dev
ARG COMMIT=""
ARG BUILD=""
RUN /opt/venv/bin/python -c 'import json, os; json.dump({key: os.environ[key.upper()] for key in ("source", "version", "commit", "build")}, open("version.json", "w"))'


FROM python:3.11-slim
# A fixed uid, so that files the operator makes readable to it (compose secrets) stay so.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent fxa
COPY --from=build /opt/venv /opt/venv
# The code stays root-owned (the server cannot change it); var/ is the one writable place: DATA_DIR,
# and the working directory of beat, which keeps its schedule file in the current directory.
COPY --from=build /app /app
RUN install -d -o fxa -g fxa -m 700 /app/var
WORKDIR /app
# PYTHONPATH: so that fxa_project imports from any working directory (beat's is /app/var).
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DEBUG=false DATA_DIR=/app/var
USER fxa
EXPOSE 8000
# CMD rather than ENTRYPOINT, so that a compose `command:` picks the process (worker, beat, migrate).
CMD ["gunicorn", "-c", "python:fxa_project.gunicorn", "fxa_project.wsgi"]
