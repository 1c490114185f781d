"""POST /api/v1/fees/calculate {amount, fromAccountId?, toAccountId? | transactionType?, scope?}:
the fee the chain would charge, with its sender/receiver split. Public; 60/min per IP."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tax import service
from shared.tokenomics.schemas import FeeQuoteOut


@functions_framework.http
@endpoint
def calculate_fee(call: Call) -> Reply:
    return FeeQuoteOut.of(service.calculate(call.body))
