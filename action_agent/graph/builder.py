"""The action graph (spec §8.2), wired with LangGraph's StateGraph.

    PARSE ─┬─ actionable ──▶ RESOLVE ─▶ VALIDATE ─┬─ critical ─▶ CONFIRM (interrupt) ─▶ EXECUTE ─▶ FORMAT
           ├─ conversational ─▶ RESPOND            └─ other ────────────────────────────▶ EXECUTE
           └─ unknown ─▶ CLARIFY
    RESOLVE / VALIDATE / CONFIRM / EXECUTE failures ─▶ ERROR; missing or ambiguous slots ─▶ CLARIFY

A node with a choice of next node decides it itself (it returns a Command with `goto`, its router applied to the
state it leaves): a conditional edge would cost a separate router run and a state read per step.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from action_agent.graph import nodes
from action_agent.graph.deps import GraphDeps
from action_agent.graph.resolve import resolve, route_after_resolve
from action_agent.graph.state import ActionAgentState

Node = Callable[..., Awaitable[dict[str, Any]]]
Router = Callable[[ActionAgentState], str]


def routed(node: Node, route: Router) -> Callable[..., Awaitable[Command[str]]]:
    """`node`, then `route` on the state it leaves, as one step."""

    def command(state: ActionAgentState, update: dict[str, Any]) -> Command[str]:
        return Command(update=update, goto=route(cast(ActionAgentState, {**state, **update})))

    # LangGraph passes the runtime to a node by its parameter's name, so the wrapper keeps the node's signature.
    if "runtime" in inspect.signature(node).parameters:
        async def with_runtime(state: ActionAgentState, runtime: Runtime[GraphDeps]) -> Command[str]:
            return command(state, await node(state, runtime))
        return with_runtime

    async def plain(state: ActionAgentState) -> Command[str]:
        return command(state, await node(state))
    return plain


def build_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    graph = StateGraph(ActionAgentState, context_schema=GraphDeps)
    graph.add_node("parse", routed(nodes.parse, nodes.route_after_parse),
                   destinations=("resolve", "respond", "clarify"))
    graph.add_node("resolve", routed(resolve, route_after_resolve), destinations=("validate", "error", "clarify"))
    graph.add_node("validate", routed(nodes.validate, nodes.route_after_validate),
                   destinations=("confirm", "execute", "error", "clarify"))
    graph.add_node("confirm", routed(nodes.confirm, nodes.route_after_confirm), destinations=("execute", "error", END))
    graph.add_node("execute", routed(nodes.execute, nodes.route_after_execute), destinations=("format", "error"))
    graph.add_node("format", nodes.format_result)
    graph.add_node("error", nodes.error)
    graph.add_node("clarify", nodes.clarify)
    graph.add_node("respond", nodes.respond)

    graph.add_edge(START, "parse")
    for last in ("format", "error", "clarify", "respond"):
        graph.add_edge(last, END)
    return graph.compile(checkpointer=checkpointer)
