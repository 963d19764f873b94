"""The Luna domain store: schema, engine factory, migrations and the demo city."""

from action_agent.store.engine import Store, make_engine, migrate, open_store, session_factory, write_session

__all__ = ["Store", "make_engine", "migrate", "open_store", "session_factory", "write_session"]
