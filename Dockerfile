# The coord service image: coord-api as a non-root user on port 8080, state in /data.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY packages ./packages
# Install exactly what uv.lock pins for the server (with its PostgreSQL driver, so one image
# serves both backends), without the workspace's development groups.
RUN uv sync --frozen --no-dev --no-editable --package coord-server --extra postgres

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install --no-install-recommends -y git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data coord \
    && mkdir -p /data && chown coord /data
COPY --from=build /src/.venv /opt/coord
ENV PATH=/opt/coord/bin:$PATH \
    COORD_HOST=0.0.0.0 \
    COORD_PORT=8080 \
    COORD_DATABASE_PATH=/data/coordination.db
USER coord
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=2).status != 200)"
CMD ["coord-api"]
