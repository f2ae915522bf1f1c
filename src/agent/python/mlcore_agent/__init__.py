# SPDX-License-Identifier: GPL-2.0
"""mlcore_agent: the Python agent SDK of mlcore-emu (docs/agent-sdk.md).

Clients for the three device profiles, the closed loop as a Gymnasium
environment, and private emulator instances for tests.  The core uses the
standard library only (os, fcntl, struct); numpy is used when importable.
Everything works through paths and ioctls under a root, so root="/" is the
real kernel.
"""
from .clients import MlcoreClient, MlLibClient, MlLoopClient
from .env import MlLoopEnv
from .parse import ProtocolError
from .records import DatasetRecord, FeedbackRecord, RecommendationRecord

__version__ = "0.1.0"
__all__ = ["MlcoreClient", "MlLibClient", "MlLoopClient", "MlLoopEnv", "ProtocolError",
           "DatasetRecord", "FeedbackRecord", "RecommendationRecord"]
