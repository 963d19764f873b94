"""The browser's way in: Envoy (gRPC-Web, CORS, WebSocket routing) and the WebSocket↔gRPC bridge for Converse."""
