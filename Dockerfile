# syntax=docker/dockerfile:1
# The server as a container: Next's standalone output (server.js and only the files it needs) on
# Node 24, run as a non-root user, with the SQLite history in the /data volume.
#   docker build -t multimodal-reasoning-agent .
#   docker run -p 3000:3000 -v mra-data:/data multimodal-reasoning-agent
# tests/integration/standalone.test.ts (npm run check:standalone) builds and runs the server as
# this file does, reading its build-stage ENV, runtime ENV, COPY lines and CMD from here.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles itself when no prebuilt binary for this Node is found.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# onnxruntime-node's install script would download CUDA libraries; its CPU build ships in the
# package. NEXT_OUTPUT=standalone makes next.config.ts ask for the standalone output.
ENV ONNXRUNTIME_NODE_INSTALL=skip NEXT_TELEMETRY_DISABLED=1 NEXT_OUTPUT=standalone
COPY package.json package-lock.json .npmrc ./
# As .ci/run installs: `npm ci` rejects lockfiles made on another platform, `npm install` honours it.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# PORT and HOSTNAME are read by server.js; the MALLOC settings are npm's `serve` script's, so
# memory used for large images goes back to the system (docs/deploy.md, "Memory").
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 \
  PORT=3000 HOSTNAME=0.0.0.0 \
  DATA_DIR=/data \
  MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
RUN groupadd --system --gid 10001 app \
  && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app \
  && mkdir -p /data && chown app:app /data
# The traced server with its node_modules, including the native binaries and the OCR models
# (next.config.ts's outputFileTracingIncludes adds what tracing cannot see), and the page's
# static files. Owned by root: the server cannot change its own code. (The project has no public/.)
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
USER app
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
