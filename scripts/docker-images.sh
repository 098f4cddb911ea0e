#!/usr/bin/env bash
# Stand-ins for the base images that Dockerfile and docker-compose.yml name,
# for machines with a Docker Engine but no registry (ours and CI's: nothing
# can be pulled). They carry the same names, so the files users run are
# exactly the files we test:
#
#   debian:bookworm-slim   debootstrap minbase, trimmed as Debian's slim image
#                          is (no docs, man pages, locales, apt lists)
#   debian:trixie-slim     the same for trixie (PostgreSQL 17's base)
#   rust:1-bookworm        debian:bookworm-slim + gcc, libc6-dev, and this
#                          machine's stable Rust toolchain under rustup, laid
#                          out as the official image lays it out
#                          (RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo)
#   postgres:17            Debian trixie's postgresql-17 with an entry point of
#                          ours that does what the compose file relies on
#                          (scripts/docker/postgres)
#   gcr.io/distroless/cc-debian12:nonroot
#                          built as distroless builds it: Debian 12 packages
#                          (libc6, libgcc-s1, libssl3, libstdc++6, libgomp1,
#                          tzdata, netbase, base-files) unpacked into an empty
#                          tree, the CA bundle, passwd/group with nonroot 65532
#
# Crates are fetched from crates.io inside the build container, as they are
# for a user (this machine reaches crates.io and Debian's mirrors). This
# machine's network inspects TLS, so the rust stand-in also trusts the extra
# certificate authorities the machine trusts (/usr/local/share/ca-certificates);
# a user's rust image needs none.
#
# An image that exists already is kept; FORCE=1 rebuilds them all.
# Usage: scripts/docker-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d /tmp/tributary-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

have() { [ -z "${FORCE:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }
say() { printf '== %s (%s)\n' "$*" "$(date +%T)"; }

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# A Debian minbase tree trimmed like the official slim images, imported.
debian_slim() {
    local suite=$1 tag=$2 root="$work/$1"
    if have "$tag"; then echo "$tag: present"; return; fi
    say "debootstrap $suite"
    debootstrap --variant=minbase "$suite" "$root" "$MIRROR" >"$work/$suite.log" 2>&1 \
        || { tail -20 "$work/$suite.log"; exit 1; }
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
        "$MIRROR" "$suite" "$MIRROR" "$suite" "$suite" >"$root/etc/apt/sources.list"
    find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
    rm -rf "$root"/usr/share/{man,info,locale,lintian}/* "$root"/var/lib/apt/lists/* \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
        "$root"/var/cache/debconf/*-old "$root"/tmp/*
    tar --numeric-owner -C "$root" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' - "$tag" >/dev/null
    rm -rf "$root"
    echo "$tag: $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B"
}

# The official rust image: rustup's proxies in /usr/local/cargo/bin, the
# toolchain under /usr/local/rustup. Ours is this machine's stable toolchain
# (nothing else can be fetched), without its HTML docs.
rust_image() {
    local tag=rust:1-bookworm ctx="$work/rust"
    if have "$tag"; then echo "$tag: present"; return; fi
    local rustup_home=${RUSTUP_HOME:-$HOME/.rustup} cargo_home=${CARGO_HOME:-$HOME/.cargo}
    local toolchain
    # awk reads to the end: an early exit could SIGPIPE rustup under pipefail.
    toolchain=$(rustup toolchain list | awk '/\(.*default/ && !t {t = $1} END {print t}')
    toolchain=${toolchain:-stable-x86_64-unknown-linux-gnu}
    say "rust image from $toolchain"
    mkdir -p "$ctx/rustup/toolchains" "$ctx/cargo/bin"
    tar -C "$rustup_home/toolchains" --exclude="$toolchain/share/doc" -c "$toolchain" \
        | tar -C "$ctx/rustup/toolchains" -x
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$toolchain" \
        >"$ctx/rustup/settings.toml"
    cp "$cargo_home/bin/rustup" "$ctx/cargo/bin/rustup"
    for proxy in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
        ln "$ctx/cargo/bin/rustup" "$ctx/cargo/bin/$proxy"
    done
    mkdir -p "$ctx/extra-ca"
    cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
    cp scripts/docker/rust/Dockerfile "$ctx/Dockerfile"
    docker build -q -t "$tag" "$ctx" >/dev/null
    echo "$tag: $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B"
}

postgres_image() {
    local tag=postgres:17
    if have "$tag"; then echo "$tag: present"; return; fi
    say "postgres image"
    docker build -q -t "$tag" scripts/docker/postgres >/dev/null
    echo "$tag: $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B"
}

# Distroless is made of Debian packages unpacked into an empty tree (no
# shell, no package manager). This machine runs Debian 12, so its apt
# fetches the same packages.
distroless_image() {
    local tag=gcr.io/distroless/cc-debian12:nonroot root="$work/distroless" debs="$work/debs"
    if have "$tag"; then echo "$tag: present"; return; fi
    say "distroless cc-debian12 from Debian 12 packages"
    mkdir -p "$root" "$debs"
    chmod 777 "$debs" # apt downloads as the _apt user
    (cd "$debs" && apt-get download -qq base-files netbase tzdata libc6 libgcc-s1 libssl3 \
        libstdc++6 libgomp1 ca-certificates >/dev/null)
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
    rm -rf "$root"/usr/share/{doc,man,info,lintian,locale}
    mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/root" "$root/home/nonroot"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
        >"$root/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' >"$root/etc/group"
    echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root" "$root/home/nonroot"
    chown 65532:65532 "$root/home/nonroot"
    tar --numeric-owner -C "$root" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'USER 65532' --change 'WORKDIR /home/nonroot' - "$tag" >/dev/null
    echo "$tag: $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B"
}

started=$(date +%s)
debian_slim bookworm debian:bookworm-slim
debian_slim trixie debian:trixie-slim
distroless_image
postgres_image
rust_image
echo "stand-in images ready in $(($(date +%s) - started)) s"
