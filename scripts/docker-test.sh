#!/usr/bin/env bash
# The Docker part of CI: stand-in base images (no registry here), then
# `docker compose up` as a user runs it, then the cluster test.
# Needs a Docker Engine; `cargo test` never does.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/docker-images.sh
images=$(date +%s)
scripts/docker-compose-test.sh
compose=$(date +%s)
python3 scripts/docker-cluster-test.py
echo "docker tests: $((images - started)) s base images, $((compose - images)) s compose (build included), $(($(date +%s) - compose)) s cluster"
