#!/usr/bin/env bash
# Deploys the orchestrator App's server to Google Cloud Run, built from this directory's
# Dockerfile (gcloud run deploy --source). Secrets come from Secret Manager; nothing secret is
# passed on the command line. Scales to zero when idle (min-instances 0).
#
# Once per project, create the secrets (the service's runtime service account needs
# roles/secretmanager.secretAccessor on them):
#   gcloud secrets create orchestrator-private-key --data-file=path/to/app.private-key.pem
#   printf %s "$WEBHOOK_SECRET" | gcloud secrets create orchestrator-webhook-secret --data-file=-
#   openssl rand -hex 32 | tr -d '\n' | gcloud secrets create orchestrator-auth-token --data-file=-
#
# Usage: GCP_PROJECT=my-project APP_ID=123456 [GCP_REGION=europe-west1] [DEFAULT_REPO=owner/repo] \
#          [SERVICE=claude-team-orchestrator] [MAX_INSTANCES=1] [ALWAYS_ON_CPU=true] deploy/cloud-run.sh
set -euo pipefail

project="${GCP_PROJECT:?set GCP_PROJECT to your Google Cloud project id}"
app_id="${APP_ID:?set APP_ID to the GitHub App id (its settings page)}"
region="${GCP_REGION:-us-central1}"
service="${SERVICE:-claude-team-orchestrator}"
# One instance by default: it serializes each session's passes in memory, so every task attempt is
# dispatched once. More instances are safe (an attempt two of them dispatch at the same moment gets
# two runs, and the one its record does not name is cancelled at once) but may cost such runs.
max_instances="${MAX_INSTANCES:-1}"
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ ! "$app_id" =~ ^[0-9]+$ ]]; then
  echo "APP_ID must be a number, got: $app_id" >&2
  exit 2
fi

# Cloud Run's front end adds the client's address as the last X-Forwarded-For entry: one proxy.
env_vars=(
  "APP_ID=${app_id}"
  "LOG_FORMAT=json"
  "ORCHESTRATOR_TRUSTED_PROXIES=1"
  "ORCHESTRATOR_SWEEP_MINUTES=${SWEEP_MINUTES:-5}"
)
if [[ -n "${DEFAULT_REPO:-}" ]]; then
  if [[ ! "$DEFAULT_REPO" =~ ^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$ ]]; then
    echo "DEFAULT_REPO must be owner/repo, got: $DEFAULT_REPO" >&2
    exit 2
  fi
  env_vars+=("ORCHESTRATOR_DEFAULT_REPO=${DEFAULT_REPO}")
fi
secrets=(
  "PRIVATE_KEY=orchestrator-private-key:latest"
  "WEBHOOK_SECRET=orchestrator-webhook-secret:latest"
  "ORCHESTRATOR_AUTH_TOKEN=orchestrator-auth-token:latest"
)

join_by_comma() {
  local IFS=","
  printf '%s' "$*"
}

args=(
  run deploy "$service"
  --project "$project"
  --region "$region"
  --source "$source_dir"
  --port 8080
  --min-instances 0
  --max-instances "$max_instances"
  # The server caps open connections at 100 (ORCHESTRATOR_MAX_CONNECTIONS) and webhook bodies at
  # 2 MiB: at most 200 MiB of bodies in memory, inside 512Mi. Raise them together, or not at all.
  --concurrency 40
  --cpu 1
  --memory 512Mi
  # GitHub gives a webhook 10 s; commands answer well within that, sweeps may take longer.
  --timeout 300
  --cpu-boost
  # GitHub must reach the webhook; the API checks its own bearer token.
  --allow-unauthenticated
  --set-env-vars "$(join_by_comma "${env_vars[@]}")"
  --set-secrets "$(join_by_comma "${secrets[@]}")"
)
# CPU stays allocated while an instance is up (it still scales to zero when idle): a webhook
# handler may go on after its answer (Probot answers 202 after 9 s; it spaces writes a second
# apart), and the periodic sweep runs on a timer. ALWAYS_ON_CPU=false bills requests only; then
# schedule `POST /api/sweep` with Cloud Scheduler.
if [[ "${ALWAYS_ON_CPU:-true}" == "true" ]]; then
  args+=(--no-cpu-throttling)
else
  args+=(--cpu-throttling)
fi

echo "Deploying ${service} to ${region} in ${project}…"
gcloud "${args[@]}"
url="$(gcloud run services describe "$service" --project "$project" --region "$region" --format 'value(status.url)')"
echo
echo "Webhook URL for the App's settings: ${url}/api/github/webhooks"
echo "Health:                             ${url}/health"
