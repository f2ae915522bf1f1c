#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Issue 6, point 6, as a user types it:
#   mlcore-emu run -- python3 examples/mlcore_agent.py /
# (in a fresh instance and state directory, both removed afterwards).
#
#   example_agent.sh MLCORE_EMU AGENT
set -eu
emu=$1
agent=$2
name="preload-agent-$$"
state=$(mktemp -d /tmp/mlc-pl-agent-XXXXXX)
trap 'rm -f "/dev/shm/mlcore-emu.$(id -u).$name"; rm -rf "$state"' EXIT
export MLCORE_EMU_STATE_DIR="$state"
"$emu" run --instance "$name" --clock fixed:1767225600 -- python3 "$agent" /
# What the agent left in the driver, seen from outside the command.
"$emu" status --instance "$name" | grep -q "training 50/50"
echo "example agent at /: ok"
