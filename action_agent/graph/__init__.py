"""The LangGraph action graph: state, nodes, wiring and its checkpointer."""
