# Tributary: multi-stage build. The dependency layer is built from the
# manifest alone (a stub crate), so editing the source does not rebuild it.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/it \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > tests/it/main.rs \
    && mkdir -p benches && echo 'fn main() {}' > benches/pipeline.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY migrations migrations
COPY assets assets
COPY src src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data tributary \
    && mkdir -p /data /config \
    && chown tributary /data
COPY --from=build /src/target/release/tributary /usr/local/bin/tributary
COPY config/tributary.toml /config/tributary.toml
COPY examples /examples
ENV TRIBUTARY_CONFIG=/config/tributary.toml \
    TRIBUTARY_LISTEN=0.0.0.0:8080 \
    RUST_LOG=info
USER 10001
WORKDIR /data
VOLUME ["/data", "/config"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["tributary", "healthcheck"]
CMD ["tributary", "serve"]
