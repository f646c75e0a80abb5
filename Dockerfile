# Visage's container image: `visage serve` with every model converted at build time, as a
# non-root user. The build stage runs the same script as the install test in CI
# (scripts/install-packed.mjs: npm pack, npm install of the tarball into a new project,
# visage models prepare), so what CI tests is what goes into the image.
#
#   docker build -t visage .
#   docker run --rm -v visage-data:/data visage keys create --scope admin --name admin
#   docker run -d -p 3000:3000 -v visage-data:/data visage
# Several nodes and workers on PostgreSQL: compose.yaml (see the README, "Several machines").

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when it cannot fetch a prebuilt binary.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The image's npm 10 does not read package.json's "allowScripts": skip onnxruntime-node's GPU
# download for the repository's own install (install-packed.mjs clears this for the app's install,
# where Visage's preinstall guard does it, as in any user's project).
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund \
  && node scripts/install-packed.mjs /app --prepare-models /app/models

FROM node:20-bookworm-slim
# Debian's ffmpeg: `visage video` and POST /v1/videos decode (and --annotate encodes) through it.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    VISAGE_MODEL_DIR=/app/models \
    VISAGE_DB=/data/visage.db
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["/app/node_modules/.bin/visage"]
# On 0.0.0.0 the server refuses to start until an API key exists (see the keys command above).
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
