// gRPC-Web clients for the browser. The app is served by Envoy on the same origin
// as the APIs, so the base URL is simply this page's origin (no CORS round trips).

import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { LunaService } from "@/gen/luna/backend/v1/backend_pb";
import { VoiceGateway } from "@/gen/luna/voice/v1/voice_pb";

export function apiOrigin(): string {
  return window.location.origin;
}

function bearer(getToken: () => string | null): Interceptor {
  return (next) => (req) => {
    const token = getToken();
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export function createTransport(getToken: () => string | null): Transport {
  return createGrpcWebTransport({ baseUrl: apiOrigin(), interceptors: [bearer(getToken)] });
}

export type LunaClient = Client<typeof LunaService>;
export type VoiceGatewayClient = Client<typeof VoiceGateway>;

export function lunaClient(transport: Transport): LunaClient {
  return createClient(LunaService, transport);
}

export function voiceGatewayClient(transport: Transport): VoiceGatewayClient {
  return createClient(VoiceGateway, transport);
}
