#!/usr/bin/env bash
# Runs the date-sensitive tests (notifications: digests, quiet hours, daily caps) as if
# it were each day of the week in which Europe's clocks go forward, at different times
# of day, so a test that only passes on some days fails here. Usage:
#   scripts/test-days.sh [pytest args...]   (default: tests/notifications)
set -euo pipefail
cd "$(dirname "$0")/.."
moments=(
  2026-03-23T00:30:00+01:00  # Monday just after midnight
  2026-03-24T07:59:00+01:00  # Tuesday, a minute before the digest hour
  2026-03-25T12:00:00+01:00  # Wednesday noon
  2026-03-26T23:30:00+01:00  # Thursday, late
  2026-03-27T08:00:00+01:00  # Friday, on the digest hour
  2026-03-28T22:15:00+01:00  # Saturday, in the default quiet hours
  2026-03-29T01:59:00+01:00  # Sunday, a minute before the clocks go forward
)
failed=()
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(tests/notifications)
for moment in "${moments[@]}"; do
  echo "== as if it were ${moment}"
  PLAZA_TEST_NOW="$moment" .venv/bin/pytest -q -p no:cacheprovider "${args[@]}" || failed+=("$moment")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed as if it were: ${failed[*]}" >&2
  exit 1
fi
