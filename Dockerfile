# syntax=docker/dockerfile:1
# The GitHub App server. Build: docker build -t orchestrator .
# Run:   docker run --env-file .env -p 8080:8080 orchestrator

# Build stage: all dependencies, TypeScript compiled to dist/.
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# Runtime stage: production dependencies and the compiled code only, as an unprivileged user.
# HOST=0.0.0.0: the server's own default is loopback (safe on a laptop), which no one outside the
# container could reach. Under Cloud Run (K_SERVICE set) it would pick 0.0.0.0 and $PORT by itself.
FROM node:26-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Package files the App hands to repositories it onboards (src/package/package-files.ts), and the
# manifest its setup page registers.
COPY .github/workflows/orchestrator-task.yml ./.github/workflows/orchestrator-task.yml
COPY tasks/tasks.schema.json ./tasks/tasks.schema.json
COPY app.yml ./app.yml
USER node
EXPOSE 8080
# No curl in slim images: node asks /health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Cloud Run and `docker stop` send SIGTERM: the server stops taking requests and finishes its work.
CMD ["node", "dist/github/main.js"]
