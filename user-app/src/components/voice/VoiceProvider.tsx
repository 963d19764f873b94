"use client";
// One voice conversation for the whole app: the button and the overlay live in the
// root layout, so navigating (e.g. to My bookings) keeps the conversation going.

import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { type UseVoiceReturn, useVoice } from "@/hooks/useVoice";

interface VoiceContextValue {
  voice: UseVoiceReturn;
  open: boolean;
  openOverlay: () => void;
  closeOverlay: () => void;
}

const VoiceContext = createContext<VoiceContextValue | null>(null);

export function VoiceProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const voice = useVoice({ token: user?.token ?? null });
  const [open, setOpen] = useState(false);
  const { startListening } = voice;
  const openOverlay = useCallback(() => {
    setOpen(true);
    void startListening();
  }, [startListening]);
  const closeOverlay = useCallback(() => setOpen(false), []);
  const value = useMemo(() => ({ voice, open, openOverlay, closeOverlay }), [voice, open, openOverlay, closeOverlay]);
  return <VoiceContext.Provider value={value}>{children}</VoiceContext.Provider>;
}

export function useVoiceContext(): VoiceContextValue {
  const value = useContext(VoiceContext);
  if (!value) throw new Error("useVoiceContext outside VoiceProvider");
  return value;
}
