"""Mutation testing of the rule modules (``make mutation``; see docs/mutation.md)."""
