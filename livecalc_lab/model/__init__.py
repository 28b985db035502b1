"""Actuarial models: the policy schema and the readable numpy reference model."""
