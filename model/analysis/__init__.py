"""Pure functions over captured tensors: rollout, flow, head statistics, the teaching steps."""
