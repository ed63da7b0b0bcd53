# syntax=docker/dockerfile:1
# Agent OTP: a multi-stage image. The build stage has the tools better-sqlite3 needs to compile;
# the runtime stage has node_modules and the app only, and runs as an unprivileged user.

FROM node:20-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/store/package.json packages/store/
COPY packages/server/package.json packages/server/
COPY packages/sdk/package.json packages/sdk/
COPY packages/cli/package.json packages/cli/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/mcp/package.json packages/mcp/
COPY packages/integrations/package.json packages/integrations/
# tsx (which runs the TypeScript sources) is needed at run time, so nothing is omitted.
RUN npm ci --no-audit --no-fund
COPY . .

FROM node:20-slim AS runtime
# Two malloc arenas instead of one per thread: less idle memory kept per thread
# (docs/deployment.md, "Memory").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8787 \
    AGENT_OTP_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# What `npm start` runs (`agent-otp serve`), started by node directly: `docker stop` sends its
# SIGTERM to the server itself (no npm or shell between), which then shuts down gracefully.
# A young generation of 2 × 4 MB instead of V8's 2 × 16 MB (docs/deployment.md, "Memory").
CMD ["node", "--max-semi-space-size=4", "packages/cli/bin/agent-otp.js", "serve"]
