# Tributary: multi-stage build.
#
# build:   the official Rust image. The dependency layer is built from the
#          manifest alone (a stub crate, a stub for each [[bench]]), so
#          editing the source does not rebuild the ~360 crates under it.
# runtime: distroless (glibc, CA certificates, tzdata; no shell, no package
#          manager), running as the unprivileged user 65532.
#
# `docker compose up` builds this; on machines without a registry,
# scripts/docker-images.sh makes stand-ins for both base images.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/it benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > tests/it/main.rs \
    && awk '/^\[\[bench\]\]/ {b = 1; next} b && /^name = / {gsub(/"/, "", $3); print "fn main() {}" > ("benches/" $3 ".rs"); b = 0}' Cargo.toml \
    && cargo build --release --locked \
    && rm -rf src
COPY migrations migrations
COPY assets assets
COPY src src
# touch: the stub's build is newer than the sources' timestamps from COPY.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && mkdir -p /data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/tributary /usr/local/bin/tributary
COPY config/tributary.toml /config/tributary.toml
COPY examples /examples
# The working directory is the only place Tributary writes to (nothing, with
# DATABASE_URL set); owned by the user it runs as.
COPY --from=build --chown=65532:65532 /data /data
ENV TRIBUTARY_CONFIG=/config/tributary.toml \
    TRIBUTARY_LISTEN=0.0.0.0:8080 \
    RUST_LOG=info
USER 65532:65532
WORKDIR /data
EXPOSE 8080
# Every role answers /healthz on the listen address (a poller serves only
# the probes and /metrics).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/tributary", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tributary"]
CMD ["serve"]
