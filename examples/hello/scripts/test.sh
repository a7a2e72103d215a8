#!/usr/bin/env bash
# A stand-in test suite for the example workflow.
set -euo pipefail
version="$1"
for check in parse plan run; do
  echo "ok - $check (version $version)"
done
