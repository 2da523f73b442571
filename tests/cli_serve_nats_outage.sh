#!/usr/bin/env bash
# NATS stopped entirely for 5 s under a running `lookout serve` edge (two-sites at 4x) and a
# fusion node: the edge keeps warning, its real /metrics show the plots dropped oldest-first
# and the alerts held back, it reconnects by itself and every alert reaches JetStream; the
# fusion node receives plots again. The 30 s version is cli_serve_nats_outage30 (label long).
# Args: lookout-binary source-dir shared-dir. Skips (77) without nats-server, curl or python3.
bin=$1 src=$2
OUTAGE_S=5 SPEED=4
. "$src/tests/nats/serve_outage.sh"
