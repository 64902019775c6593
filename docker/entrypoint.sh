#!/bin/sh
# The image's entrypoint. Before a command that needs them, it checks that this user can read
# the config and write the state folder, and says what to do when not (the usual mistakes with
# bind mounts); then it execs the command, which so receives `docker stop`'s SIGTERM itself.
set -eu

fail() {
    echo "deskbridge-entrypoint: $*" >&2
    exit 2
}

check_config() {
    for argument in "$@"; do
        case "$argument" in --config | --config=*) return 0 ;; esac
    done
    config="${DESKBRIDGE_CONFIG:-/etc/deskbridge/config.toml}"
    [ -e "$config" ] || fail "no config file at $config: mount yours there" \
        "(-v \"\$PWD/deskbridge:/etc/deskbridge:ro\") or set DESKBRIDGE_CONFIG"
    [ -r "$config" ] || fail "the config file $config is not readable by uid $(id -u):" \
        "make it readable by that user (chmod a+r, or chown $(id -u))"
}

check_state_folder() {
    url="${DESKBRIDGE_STATE__URL:-}"
    case "$url" in sqlite*:////*) ;; *) return 0 ;; esac # only an absolute SQLite file
    database="/${url#*:////}"
    database="${database%%\?*}" # without the URL's query (?timeout=...)
    folder="$(dirname "$database")"
    [ -d "$folder" ] || fail "the state folder $folder does not exist: mount a volume there" \
        "(-v deskbridge-state:$folder)"
    { [ -w "$folder" ] && { [ ! -e "$database" ] || [ -w "$database" ]; }; } ||
        fail "the state folder $folder is not writable by uid $(id -u): use a named volume" \
            "(-v deskbridge-state:$folder), or chown a bind-mounted folder to $(id -u):$(id -g)"
}

if [ "${1:-}" = deskbridge ]; then
    case "${2:-}" in
    validate | test) check_config "$@" ;;
    run | sync | runs | lists | explain | export) check_config "$@" && check_state_folder ;;
    esac
fi
exec "$@"
