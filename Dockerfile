# syntax=docker/dockerfile:1
# Same install as the README: `pip install .` into a virtualenv, then `triage serve`.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY service ./service
COPY training ./training
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 triage \
    && useradd --system --uid 10001 --gid triage --home-dir /app triage
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=triage:triage models ./models
RUN mkdir -p /app/var && chown 10001:10001 /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    TRIAGE_HOST=0.0.0.0 \
    TRIAGE_PORT=8000 \
    TRIAGE_MODEL_PATH=/app/models/triage-default.skops \
    TRIAGE_DATABASE_URL=sqlite:////app/var/triage.db \
    TRIAGE_JOURNAL_DIR=/app/var/journal
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz/triage', timeout=2).status == 200 else 1)"]
CMD ["triage", "serve"]
