# syntax=docker/dockerfile:1
# Build stage: a wheel with the compiled message catalogues (hatch_build.py compiles them).
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY . .
RUN python -m build --wheel --outdir /dist

# Runtime stage: slim and non-root; only the wheel and its dependencies.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SLABOT_DATABASE_URL=sqlite:////data/slabot.sqlite3 \
    SLABOT_HEALTH_HOST=0.0.0.0 \
    SLABOT_HEALTH_PORT=8080
RUN useradd --create-home --uid 10001 slabot && mkdir /data && chown slabot /data
COPY --from=build /dist/*.whl /tmp/
RUN pip install "$(ls /tmp/*.whl)[postgres]" && rm /tmp/*.whl
USER slabot
WORKDIR /home/slabot
VOLUME ["/data"]
EXPOSE 8080
# Shell form: the port follows SLABOT_HEALTH_PORT in the container's environment (default 8080).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${SLABOT_HEALTH_PORT:-8080}/healthz', timeout=4)" || exit 1
ENTRYPOINT ["slabot"]
CMD ["run"]
