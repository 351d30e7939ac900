# syntax=docker/dockerfile:1
# One image per service, built from the uv workspace:
#   docker build --build-arg SERVICE=gateway -t videoplanet/gateway .
# SERVICE is one of gateway, planner, generator, compositor, upscaler, notifier.
# Every image also carries `vp-streams` (from vp-runtime), used by the stream-declaring Job.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG UV_VERSION=0.13.9
ARG UV_IMAGE=ghcr.io/astral-sh/uv:${UV_VERSION}
# The three base images are arguments, so that a machine with no registry builds from bases
# of its own (`make images`: a Debian root made with debootstrap; see infra/README.md).

FROM ${UV_IMAGE} AS uv

# ---- studio: the creators' web app, built to static files (only the gateway carries them) ---
FROM ${NODE_IMAGE} AS studio
WORKDIR /studio
COPY studio/package.json studio/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY studio/ ./
RUN npm run build

# ---- builder: resolve exactly what uv.lock says, into /app/.venv --------------------------
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
RUN case "${SERVICE}" in \
      gateway|planner|generator|compositor|upscaler|notifier) ;; \
      *) echo "build with --build-arg SERVICE=<gateway|planner|generator|compositor|upscaler|notifier>" >&2; exit 1 ;; \
    esac
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first (a cached layer while only our code changes): the lock file
# and every workspace member's metadata, which uv needs to read the workspace.
COPY pyproject.toml uv.lock ./
COPY contracts/pyproject.toml contracts/
COPY runtime/pyproject.toml runtime/
COPY devtools/pyproject.toml devtools/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/planner/pyproject.toml services/planner/
COPY services/generator/pyproject.toml services/generator/
COPY services/compositor/pyproject.toml services/compositor/
COPY services/upscaler/pyproject.toml services/upscaler/
COPY services/notifier/pyproject.toml services/notifier/
COPY clients/python/pyproject.toml clients/python/
COPY clients/events/pyproject.toml clients/events/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "vp-${SERVICE}"

# Then our packages, installed as wheels (not editable) so the venv stands alone.
COPY contracts/ contracts/
COPY runtime/ runtime/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "vp-${SERVICE}" \
 && test -x "/app/.venv/bin/vp-${SERVICE}" \
 && ln -s "vp-${SERVICE}" /app/.venv/bin/vp-service

# ---- runtime: the venv, the system programs this service runs, a non-root user ------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
# ffmpeg for the media stages, espeak-ng for the generator's offline voices (Korean, Japanese,
# Chinese, ...), Noto CJK and Nanum fonts for subtitles in Hangul, kana and ideographs (the
# gateway lists and checks the fonts a story may choose).
RUN set -eux; \
    case "${SERVICE}" in \
      generator) packages="ffmpeg espeak-ng" ;; \
      compositor) packages="ffmpeg fonts-noto-cjk fonts-nanum fonts-dejavu-core fontconfig" ;; \
      gateway) packages="fonts-noto-cjk fonts-nanum fonts-dejavu-core fontconfig" ;; \
      upscaler) packages="ffmpeg" ;; \
      *) packages="" ;; \
    esac; \
    if [ -n "${packages}" ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends ${packages}; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --system --gid 10001 vp; \
    useradd --system --uid 10001 --gid vp --home-dir /home/vp --create-home --shell /usr/sbin/nologin vp

COPY --from=builder /app/.venv /app/.venv
# Every image gets the built studio (a few hundred kB); only the gateway serves it.
COPY --from=studio /studio/dist /app/studio

ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/vp \
    XDG_CACHE_HOME=/tmp/.cache \
    VP_LOG_FORMAT=json \
    VP_STORAGE_DIR=/tmp/vp/storage \
    VP_GATEWAY_HOST=0.0.0.0 \
    VP_GATEWAY_PORT=8080 \
    VP_NOTIFIER_HOST=0.0.0.0 \
    VP_NOTIFIER_PORT=8080 \
    VP_HEALTH_HOST=0.0.0.0 \
    VP_HEALTH_PORT=8080 \
    VP_STUDIO_DIR=/app/studio

WORKDIR /app
USER 10001:10001
EXPOSE 8080
# /healthz answers on 8080 for every service (the API or the worker's health server).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
# The service's console script (vp-gateway, vp-planner, ...); arguments follow, e.g. `migrate`.
ENTRYPOINT ["/app/.venv/bin/vp-service"]
