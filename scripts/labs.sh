#!/usr/bin/env bash
# Brings up the real test labs from ../shared/lab (or $PULLTRACE_LAB_DIR) for the integration tests:
#   containerd lab — containerd 1.6 + registry + throttle/fault proxy (the agent's ground truth)
#   kube lab       — apiserver + kubelet node "lab-kubelet" with its own containerd (the app's cluster)
# Every step is the labs' own idempotent script, so a warm machine takes seconds and a cold one
# ~10 minutes (the kube lab builds Kubernetes from Debian's source once). Needs root (apt, mounts).
# Exits non-zero with the failing step named when a lab cannot be brought up: tests never skip.
#
#   bash scripts/labs.sh up      # prepare (once) and start both labs
#   bash scripts/labs.sh down    # stop both (state kept)
#   bash scripts/labs.sh env     # print the environment the lab tests read
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lab="${PULLTRACE_LAB_DIR:-$root/../shared/lab}"

step() {
  local name=$1; shift
  local started=$SECONDS
  echo "[labs] $name ..." >&2
  if ! "$@" > "/tmp/pulltrace-labs-${name// /-}.log" 2>&1; then
    echo "[labs] FAILED: $name (log: /tmp/pulltrace-labs-${name// /-}.log)" >&2
    tail -n 30 "/tmp/pulltrace-labs-${name// /-}.log" >&2
    exit 1
  fi
  echo "[labs] $name ok ($((SECONDS - started)) s)" >&2
}

case "${1:-}" in
  up)
    [ -d "$lab/containerd" ] && [ -d "$lab/kube" ] || { echo "[labs] no labs at $lab (set PULLTRACE_LAB_DIR)" >&2; exit 1; }
    [ "$(id -u)" = 0 ] || { echo "[labs] the labs need root (apt, containerd, kubelet)" >&2; exit 1; }
    step "containerd prepare" bash "$lab/containerd/prepare.sh"
    step "kube prepare" bash "$lab/kube/prepare.sh" --with-kubelet
    step "containerd up" bash "$lab/containerd/up.sh"
    step "kube up" bash "$lab/kube/up.sh"
    step "kubelet up" bash "$lab/kube/kubelet-up.sh"
    step "node image" bash "$lab/kube/node-image.sh"
    ;;
  down)
    bash "$lab/kube/down.sh" || true
    bash "$lab/containerd/down.sh" || true
    ;;
  env)
    echo "PULLTRACE_LAB_DIR=$lab"
    echo "KUBECONFIG=/var/cache/lab-kube/kubeconfig/lab.kubeconfig"
    cat /var/lib/lab-containerd/lab.env 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
