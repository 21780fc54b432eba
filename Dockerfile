# Plaza's image: web (`plaza serve`) and worker (`plaza worker`) run from the same one.
# Every Python package comes from requirements/app.txt, checked against its hashes;
# htmx from the npm registry, pinned by package-lock.json.

FROM node:20-bookworm-slim AS static
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# The virtual environment is built apart, so the image carries no compiler, pip cache
# or npm; Plaza is installed editable from /srv/plaza, where its templates,
# static files and migrations sit beside its code.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/plaza
COPY requirements/app.txt /tmp/app.txt
RUN /opt/plaza/bin/pip install --require-hashes --no-deps -r /tmp/app.txt
WORKDIR /srv/plaza
COPY pyproject.toml README.md ./
COPY app app
COPY cards cards
COPY feeds feeds
COPY migrations migrations
COPY templates templates
COPY static static
COPY --from=static /build/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
RUN /opt/plaza/bin/pip install --no-deps --no-build-isolation --editable . \
    && /opt/plaza/bin/python -m compileall -q app cards feeds

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/plaza/bin:$PATH
# One JSON object a log line, each with its request's or job run's id (docs/deploy.md).
ENV PLAZA_LOG_FORMAT=json
RUN useradd --system --uid 10001 --home-dir /srv/plaza --no-create-home plaza
# Code and environment belong to root and are only read by Plaza; its instance folder
# (the SQLite file and generated keys when no database URL is given) is its own.
COPY --from=build /opt/plaza /opt/plaza
COPY --from=build /srv/plaza /srv/plaza
WORKDIR /srv/plaza
RUN mkdir instance && chown plaza instance
USER plaza
EXPOSE 8080
# /readyz answers 200 once the database is reachable and migrated (docs/deploy.md).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=3).status != 200)"]
# Granian: one server process per CPU core the container may use (its cgroup quota
# counts), 2 threads each; WEB_CONCURRENCY=N or --workers N says otherwise. The worker
# runs as its own container or process group (`plaza worker`), hence --no-worker.
CMD ["plaza", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8080"]
