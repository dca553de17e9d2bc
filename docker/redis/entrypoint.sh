#!/bin/sh
# Starts the Redis server or the Sentinel of one "host" of the compose stack.
#   ROLE           redis | sentinel
#   ANNOUNCE_HOST  the host's name (redis-1, redis-2, redis-3), announced to the others
#   REPLICAOF      the first master's host name (replicas only; empty on the master)
# The configuration is written once into /data, which Redis and Sentinel then own and rewrite
# (CONFIG REWRITE, failovers), so a restarted container keeps the state it had.
set -eu
password=$(cat /run/secrets/redis_password)

case "${ROLE:?ROLE must be redis or sentinel}" in
redis)
    conf=/data/redis.conf
    if [ ! -f "$conf" ]; then
        cp /etc/redis-ha/redis.conf "$conf"
        {
            printf 'replica-announce-ip %s\n' "${ANNOUNCE_HOST:?}"
            printf 'requirepass "%s"\nmasterauth "%s"\n' "$password" "$password"
            if [ -n "${REPLICAOF:-}" ]; then
                printf 'replicaof %s 6379\n' "$REPLICAOF"
            fi
        } >>"$conf"
    fi
    exec redis-server "$conf"
    ;;
sentinel)
    conf=/data/sentinel.conf
    if [ ! -f "$conf" ]; then
        cp /etc/redis-ha/sentinel.conf "$conf"
        {
            printf 'sentinel announce-ip %s\n' "${ANNOUNCE_HOST:?}"
            printf 'sentinel auth-pass app-cache "%s"\n' "$password"
        } >>"$conf"
    fi
    exec redis-server "$conf" --sentinel
    ;;
*)
    echo "entrypoint.sh: ROLE must be redis or sentinel, not '$ROLE'" >&2
    exit 2
    ;;
esac
