"""CloudEvents on the read path: the catalogue of chain event schemas, CloudEvent conversion,
processed-event tracking, the projector handler policy and the dead-letter table."""
