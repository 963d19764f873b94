"""The action graph (spec §8.2), wired with LangGraph's StateGraph.

    PARSE ─┬─ actionable ──▶ RESOLVE ─▶ VALIDATE ─┬─ critical ─▶ CONFIRM (interrupt) ─▶ EXECUTE ─▶ FORMAT
           ├─ conversational ─▶ RESPOND            └─ other ────────────────────────────▶ EXECUTE
           └─ unknown ─▶ CLARIFY
    RESOLVE / VALIDATE / CONFIRM / EXECUTE failures ─▶ ERROR; missing or ambiguous slots ─▶ CLARIFY
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from action_agent.graph import nodes
from action_agent.graph.deps import GraphDeps
from action_agent.graph.resolve import resolve, route_after_resolve
from action_agent.graph.state import ActionAgentState


def build_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    graph = StateGraph(ActionAgentState, context_schema=GraphDeps)
    graph.add_node("parse", nodes.parse)
    graph.add_node("resolve", resolve)
    graph.add_node("validate", nodes.validate)
    graph.add_node("confirm", nodes.confirm)
    graph.add_node("execute", nodes.execute)
    graph.add_node("format", nodes.format_result)
    graph.add_node("error", nodes.error)
    graph.add_node("clarify", nodes.clarify)
    graph.add_node("respond", nodes.respond)

    graph.add_edge(START, "parse")
    graph.add_conditional_edges("parse", nodes.route_after_parse, ["resolve", "respond", "clarify"])
    graph.add_conditional_edges("resolve", route_after_resolve, ["validate", "error", "clarify"])
    graph.add_conditional_edges("validate", nodes.route_after_validate, ["confirm", "execute", "error", "clarify"])
    graph.add_conditional_edges("confirm", nodes.route_after_confirm, ["execute", "error", END])
    graph.add_conditional_edges("execute", nodes.route_after_execute, ["format", "error"])
    for last in ("format", "error", "clarify", "respond"):
        graph.add_edge(last, END)
    return graph.compile(checkpointer=checkpointer)
