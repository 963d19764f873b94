"""Turning what the user said (names, referring words, time phrases) into ids and instants."""
