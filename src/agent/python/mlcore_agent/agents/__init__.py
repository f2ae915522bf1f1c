# SPDX-License-Identifier: GPL-2.0
"""Python reference agents: `python3 -m mlcore_agent.agents.iris` and
`python3 -m mlcore_agent.agents.loop` (docs/agent-sdk.md)."""
