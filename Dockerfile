# syntax=docker/dockerfile:1
#
# slo-prep daemon image.
#
#   docker build -t slo-prep:dev .
#   docker run --rm slo-prep:dev --help
#
# The base is one argument so a release build can pin it by digest:
#   docker build --build-arg PYTHON_BASE=python:3.11-slim-bookworm@sha256:<digest> .
# The Debian release is part of the tag so a rebuild never moves to another libc silently.
ARG PYTHON_BASE=python:3.11-slim-bookworm

FROM ${PYTHON_BASE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The venv lives at the same path in both stages: its scripts hard-code their interpreter.
RUN python -m venv /opt/slo-prep
WORKDIR /src
# README.md is package metadata (pyproject's `readme`), not documentation for the image.
COPY pyproject.toml README.md ./
COPY daemon/ daemon/
COPY collectors/ collectors/
# Not editable: the final stage gets the venv only, never /src.
RUN /opt/slo-prep/bin/pip install --no-compile . \
    && /opt/slo-prep/bin/python -m compileall -q /opt/slo-prep/lib

FROM ${PYTHON_BASE}

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="slo-prep" \
      org.opencontainers.image.description="Drafts the evidence pack an engineering manager carries into an SLO negotiation, from live Prometheus and PagerDuty data." \
      org.opencontainers.image.source="https://github.com/slo-prep/slo-prep" \
      org.opencontainers.image.url="https://github.com/slo-prep/slo-prep" \
      org.opencontainers.image.documentation="https://github.com/slo-prep/slo-prep/blob/main/README.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"

# The root filesystem is read-only in Kubernetes: bytecode was compiled in the build stage,
# and nothing may try to write it next to the sources at run time.
ENV PATH=/opt/slo-prep/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    TMPDIR=/tmp

# A named entry for the numeric user keeps tools that look it up (ps, id, getpass) working;
# Kubernetes itself only needs the number (runAsNonRoot refuses a user given by name).
RUN groupadd --system --gid 10001 slo-prep \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin slo-prep \
    && mkdir -p /data /etc/slo-prep \
    && chown 10001:10001 /data

COPY --from=build /opt/slo-prep /opt/slo-prep

# The SQLite store (sqlite:////data/slo-prep.db); a PersistentVolumeClaim in Kubernetes.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080

ENTRYPOINT ["slo-prep"]
CMD ["run", "-c", "/etc/slo-prep/config.yaml"]
