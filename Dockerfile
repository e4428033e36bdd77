# The Talaria image: the controller (`talaria run`), the embedded switch (`talaria switch`)
# and the node agent (`talaria agent`, with its CNI plugin), as compiled JavaScript.
#
#   docker build --network=host -t talaria:0.1.0 .
#
# The bases are Debian 12 with Node.js (scripts/build-base-images.sh makes both from
# Debian's packages and the npm registry where no image registry is reachable); name
# others with --build-arg BASE_IMAGE=... / BUILD_IMAGE=.... --network=host: `npm ci` in
# the build stage reaches the npm registry the way the host does.
ARG BUILD_IMAGE=talaria-build:bookworm-node20
ARG BASE_IMAGE=talaria-base:bookworm-node20

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY proto proto
COPY bpf bpf
COPY p4/build p4/build
# The JavaScript, then the agent's eBPF objects (bpf/build/, newer than their sources, so
# the agent never compiles at run time), then only the run-time dependencies.
RUN npm run build \
 && node -e "import('./dist/agent/bpf-build.js').then((m) => m.buildDatapathObjects())" \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
WORKDIR /opt/talaria
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/proto proto
COPY --from=build /src/bpf bpf
# The compiled pipeline at the path the manifests name (pipeline.json / pipeline.p4info).
COPY --from=build /src/p4/build p4/build
# Nothing is written under / at run time, so the image runs with a read-only root
# filesystem. The controller and the switch run as this unprivileged user; the agent's
# DaemonSet runs it as root (bpf(2), tc, bpffs; deploy/agent).
USER 65532:65532
ENTRYPOINT ["node", "/opt/talaria/dist/cli/talaria.js"]
CMD ["--help"]
