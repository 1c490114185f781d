"""The Fabric protobuf and gRPC modules this adapter uses, typed as `Any` for mypy.

The `hyperledger-fabric-protos` package ships generated code without type stubs (its message
classes are built at import time), so strict mypy cannot see their attributes. Importing them
here, once, keeps that gap in one place instead of spreading ignores over every use.
"""

from __future__ import annotations

import importlib
from typing import Any


def _load(name: str) -> Any:
    return importlib.import_module(name)


common_pb2 = _load("fabric_protos.common.common_pb2")
ledger_pb2 = _load("fabric_protos.common.ledger_pb2")  # BlockchainInfo (qscc GetChainInfo)
gateway_pb2 = _load("fabric_protos.gateway.gateway_pb2")
gateway_pb2_grpc = _load("fabric_protos.gateway.gateway_pb2_grpc")
identities_pb2 = _load("fabric_protos.msp.identities_pb2")
ab_pb2 = _load("fabric_protos.orderer.ab_pb2")
chaincode_event_pb2 = _load("fabric_protos.peer.chaincode_event_pb2")
chaincode_pb2 = _load("fabric_protos.peer.chaincode_pb2")
proposal_pb2 = _load("fabric_protos.peer.proposal_pb2")
proposal_response_pb2 = _load("fabric_protos.peer.proposal_response_pb2")
transaction_pb2 = _load("fabric_protos.peer.transaction_pb2")
status_pb2 = _load("google.rpc.status_pb2")  # gRPC rich error details (gateway ErrorDetail)
timestamp_pb2 = _load("google.protobuf.timestamp_pb2")
