#!/usr/bin/env bash
# Issue 8's check "stop NATS entirely for 30 s: edge nodes keep warning; their metrics show
# the drops; they reconnect afterwards", on real processes: a `lookout serve` edge (two-sites
# at 2x real time) and a fusion node, the whole three-server cluster stopped for 30 s, read
# through the nodes' /metrics (tests/nats/serve_outage.sh says what is checked).
# ctest label `long` (about 60 s). Args: lookout-binary source-dir shared-dir.
bin=$1 src=$2
OUTAGE_S=30 SPEED=2
. "$src/tests/nats/serve_outage.sh"
