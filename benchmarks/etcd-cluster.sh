# Sourced by the cluster benchmarks: starts a 3-member etcd cluster on free loopback ports.
# Needs ETCD (the etcd binary) and a PIDS array; sets ETCD_ENDPOINTS (host:port,host:port,host:port).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_etcd() {
    local dir=$1 cluster="" endpoints="" token="bench-$RANDOM$RANDOM"
    local -a cport pport
    for i in 0 1 2; do cport[$i]=$(free_port); pport[$i]=$(free_port); done
    for i in 0 1 2; do cluster+="e$i=http://127.0.0.1:${pport[$i]},"; endpoints+="127.0.0.1:${cport[$i]},"; done
    for i in 0 1 2; do
        "$ETCD" --name "e$i" --data-dir "$dir/e$i" --listen-client-urls "http://127.0.0.1:${cport[$i]}" \
            --advertise-client-urls "http://127.0.0.1:${cport[$i]}" --listen-peer-urls "http://127.0.0.1:${pport[$i]}" \
            --initial-advertise-peer-urls "http://127.0.0.1:${pport[$i]}" --initial-cluster "${cluster%,}" \
            --initial-cluster-state new --initial-cluster-token "$token" >"$dir/e$i.log" 2>&1 &
        PIDS+=($!)
    done
    ETCD_ENDPOINTS=${endpoints%,}
    for i in 0 1 2; do
        for _ in $(seq 1 300); do
            curl -sf "http://127.0.0.1:${cport[$i]}/health" | grep -q '"health":"true"' && break
            sleep 0.1
        done
    done
}
