# hostmasterd: one image for every role (ingress, worker, console); the role is the command.
#   docker build -t hostmasterd .
#   docker run --env-file .env hostmasterd start --role worker
# See docs/operations.md. TypeScript runs through tsx (a runtime dependency) via bin/hostmasterd,
# so there is no compile step: the image holds the sources and the production node_modules.

# --- stage 1: production dependencies only, from the lock file ---------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci: exactly the lock file; --omit=dev: no vitest, biome, drizzle-kit, typescript.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- stage 2: the runtime -----------------------------------------------------------------------
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
COPY package.json package-lock.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY templates ./templates
COPY src ./src
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
