# syntax=docker/dockerfile:1
# deskbridge as a container: `docker build -t deskbridge .`, then see README.md ("The container")
# and docker-compose.example.yml. The Python base is pinned by tag, every Python package by
# constraints.txt; the image runs as an unprivileged user and keeps its state in a volume.

# --- build: the package and its pinned dependencies in a virtualenv ---------------------------
FROM python:3.11.13-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/src/constraints.txt

WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml constraints.txt README.md ./
COPY connector/ connector/
COPY mappings/ mappings/
COPY jobs/ jobs/
COPY sandbox/ sandbox/
# PIP_CONSTRAINT pins every package installed (pyproject.toml pins the build backend,
# setuptools); then the tree is checked and the command imported, so that a broken install
# fails the build rather than the first run.
RUN /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/pip check \
    && /opt/venv/bin/deskbridge --version

# --- run: the virtualenv on the same slim base, nothing else ------------------------------------
FROM python:3.11.13-slim-bookworm

LABEL org.opencontainers.image.title="deskbridge" \
      org.opencontainers.image.description="Keeps a helpdesk's customers segmented and in step with Mailchimp, SurveyMonkey and CSV." \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed, numeric uid and gid, so that a bind-mounted state folder can be chown'ed to it and
# orchestrators can check the image runs as non-root.
RUN groupadd --system --gid 10001 deskbridge \
    && useradd --system --uid 10001 --gid deskbridge --no-create-home \
        --home-dir /var/lib/deskbridge --shell /usr/sbin/nologin deskbridge \
    && mkdir -p /var/lib/deskbridge /etc/deskbridge \
    && chown deskbridge:deskbridge /var/lib/deskbridge

COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/deskbridge-entrypoint
COPY --chmod=0755 docker/healthcheck.py /usr/local/bin/deskbridge-healthcheck

# DESKBRIDGE_<SECTION>__<KEY> variables win over the config file: the state store defaults to
# SQLite in the volume (set DESKBRIDGE_STATE__URL for PostgreSQL), and the health endpoints
# listen on every interface so that the port can be published.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DESKBRIDGE_CONFIG=/etc/deskbridge/config.toml \
    DESKBRIDGE_STATE__URL=sqlite:////var/lib/deskbridge/deskbridge-state.db \
    DESKBRIDGE_HEALTH__HOST=0.0.0.0

WORKDIR /var/lib/deskbridge
VOLUME ["/var/lib/deskbridge"]
USER 10001:10001
EXPOSE 9180

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["deskbridge-healthcheck"]

ENTRYPOINT ["deskbridge-entrypoint"]
CMD ["deskbridge", "run"]
