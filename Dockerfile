# syntax=docker/dockerfile:1
# Build stage: a wheel with the compiled message catalogues.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY . .
RUN python -m build --wheel --outdir /dist

# Runtime stage: slim, non-root.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 slabot
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir "$(ls /tmp/*.whl)[postgres]" && rm /tmp/*.whl
USER slabot
ENV SLABOT_DATABASE_URL=sqlite:////home/slabot/slabot.sqlite3
ENTRYPOINT ["slabot"]
CMD ["demo"]
