"""Outputs: where encoded packets go. Each output owns its thread, its queue and its policies."""
