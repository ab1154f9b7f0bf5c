# The mock as a container image: any language, any CI (docs/ci.md).
#
#   docker build -t aihubmix-mock .                     # runtime wheels from PyPI, pinned by constraints.txt
#   make image                                          # the same from a wheelhouse made on the host first
#   docker run --rm -p 4010:4010 aihubmix-mock --job-seconds 0
#
# Options: as arguments (`docker run IMAGE --job-seconds 0 --key sk-test`), or in env AIHUBMIX_MOCK_ARGS
# (the arguments win); env PORT moves the port (with --network host, say). A first argument that is not
# an option runs that `aihubmix-mock` command instead (`docker run IMAGE --help`, `... IMAGE serve --help`).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
WORKDIR /src
# Only what the package needs (.dockerignore keeps the rest out), and the host's wheelhouse if any.
COPY . .
# Reproducible: the runtime dependencies at the versions constraints.txt pins. With a wheelhouse in
# .wheelhouse/ (`make image` makes one), nothing is fetched: the build needs no network at all.
RUN python3 -m venv /opt/mock \
 && if ls .wheelhouse/*.whl >/dev/null 2>&1; then \
      /opt/mock/bin/pip install --no-cache-dir --no-index --find-links .wheelhouse -c constraints.txt aihubmix-video-mock; \
    else \
      /opt/mock/bin/pip install --no-cache-dir -c constraints.txt .; \
    fi \
 && /opt/mock/bin/python -c "import aihubmix_mock.app"

FROM ${BASE}
COPY --from=build /opt/mock /opt/mock
COPY docker/entrypoint.sh /usr/local/bin/aihubmix-mock-entrypoint
# Non-root; /data is the volume for --state-file and --media-cache-dir (owned by that user, so a named
# volume mounted there is writable).
RUN groupadd --system --gid 10001 mock \
 && useradd --system --uid 10001 --gid mock --home-dir /data --no-create-home mock \
 && mkdir -p /data && chown mock:mock /data && chmod 0755 /usr/local/bin/aihubmix-mock-entrypoint
ENV PATH=/opt/mock/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=4010 \
    AIHUBMIX_MOCK_ARGS=""
USER mock
WORKDIR /data
VOLUME ["/data"]
EXPOSE 4010
# Probes the port the server really listens on (read from its command line, AIHUBMIX_MOCK_ARGS, PORT).
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-m", "aihubmix_mock.healthcheck"]
ENTRYPOINT ["aihubmix-mock-entrypoint"]
# The log line to wait for: `aihubmix-mock ready on http://0.0.0.0:4010`.
CMD []
