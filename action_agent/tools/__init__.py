"""The voice tools: one registry (registry.py) of parameter models (params.py) and handlers (handlers.py)."""
