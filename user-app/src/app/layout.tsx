import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AuthProvider } from "@/components/shared/AuthProvider";
import { Nav } from "@/components/shared/Nav";
import { VoiceButton } from "@/components/voice/VoiceButton";
import { VoiceOverlay } from "@/components/voice/VoiceOverlay";
import { VoiceProvider } from "@/components/voice/VoiceProvider";
import "./globals.css";

export const metadata: Metadata = {
  title: "Luna",
  description: "Find a table, book it by voice, meet friends.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <AuthProvider>
          <VoiceProvider>
            <Nav />
            <main className="page">{children}</main>
            <VoiceButton />
            <VoiceOverlay />
          </VoiceProvider>
        </AuthProvider>
      </body>
    </html>
  );
}
