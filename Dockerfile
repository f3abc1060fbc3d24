# hostmasterd: one image for every role (ingress, worker, console); the role is the command.
#   docker build -t hostmasterd .
#   docker run --env-file .env hostmasterd start --role worker
# See docs/operations.md. The image runs compiled JavaScript (dist/, with source maps naming src/
# lines) and ships neither the TypeScript sources' toolchain (typescript, tsx, esbuild) nor the tests.

# --- stage 1: compile src/ to dist/ with the whole toolchain, from the lock file ---------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN node scripts/build.mjs

# --- stage 2: production dependencies only, from the lock file ---------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci: exactly the lock file; --omit=dev: no vitest, biome, drizzle-kit, typescript, tsx.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- stage 3: the runtime -----------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    # Inside a container the daemon listens on every interface; publish ports to limit reach.
    SMTP_HOST=0.0.0.0 \
    SMTP_PORT=2525 \
    CONSOLE_HOST=0.0.0.0 \
    CONSOLE_PORT=8080 \
    PUBLIC_HOST=0.0.0.0 \
    WHOIS_PORT=4343 \
    RDAP_PORT=8081 \
    DATA_DIR=/data
WORKDIR /app
# The node image's unprivileged user (uid 1000) owns nothing but the data directory.
RUN mkdir -p /data && chown node:node /data
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY templates ./templates
USER node
VOLUME ["/data"]
EXPOSE 2525 8080 4343 8081
# Liveness: the process answers on the console port (every role serves /healthz there).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CONSOLE_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM stops intake, lets running jobs finish, then exits 0 (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/hostmasterd"]
CMD ["start"]
