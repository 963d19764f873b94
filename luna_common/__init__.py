"""Pieces shared by the Luna services: server bootstrap, tokens, logging."""
