"use client";
// Who is signed in: the dev-login token lives in localStorage so it survives reloads;
// every gRPC-Web call gets it as "authorization: Bearer <token>".

import type { Transport } from "@connectrpc/connect";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { createTransport, type LunaClient, lunaClient } from "@/lib/api";

const STORAGE_KEY = "luna.session";

export interface SignedInUser {
  id: string;
  name: string;
  token: string;
}

interface AuthContextValue {
  user: SignedInUser | null;
  ready: boolean;
  signIn: (user: SignedInUser) => void;
  signOut: () => void;
  client: LunaClient | null;
  transport: Transport | null;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SignedInUser | null>(null);
  const [ready, setReady] = useState(false);
  const [transport, setTransport] = useState<Transport | null>(null);

  useEffect(() => {
    try {
      const saved = window.localStorage.getItem(STORAGE_KEY);
      if (saved) setUser(JSON.parse(saved) as SignedInUser);
    } catch {
      window.localStorage.removeItem(STORAGE_KEY);
    }
    setReady(true);
  }, []);

  useEffect(() => {
    const token = user?.token ?? null;
    setTransport(createTransport(() => token));
  }, [user]);

  const signIn = useCallback((next: SignedInUser) => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setUser(next);
  }, []);
  const signOut = useCallback(() => {
    window.localStorage.removeItem(STORAGE_KEY);
    setUser(null);
  }, []);

  const value = useMemo(
    () => ({ user, ready, signIn, signOut, transport, client: transport ? lunaClient(transport) : null }),
    [user, ready, signIn, signOut, transport],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
