# htmx comes from the npm registry at build time, pinned by package-lock.json.
FROM node:20-bookworm-slim AS static
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# One JSON object a log line, each with its request's or job run's id (docs/deploy.md).
ENV PLAZA_LOG_FORMAT=json
WORKDIR /srv/plaza
COPY . .
COPY --from=static /build/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
RUN pip install --editable . && useradd --system --home /srv/plaza plaza && chown -R plaza /srv/plaza
USER plaza
EXPOSE 8080
# Granian: one server process per CPU core the container may use (its cgroup quota
# counts), 2 threads each; WEB_CONCURRENCY=N or --workers N says otherwise. The worker
# runs as its own container or process group (`plaza worker`), hence --no-worker.
CMD ["plaza", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8080"]
