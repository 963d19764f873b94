"use client";
import Link from "next/link";
import type { ReactNode } from "react";
import { useAuth } from "./AuthProvider";

/** Renders children for a signed-in user, else a pointer to the sign-in page. */
export function RequireUser({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  if (!ready) return null;
  if (!user) {
    return (
      <p className="empty">
        <Link href="/signin">Sign in</Link> to see this page.
      </p>
    );
  }
  return <>{children}</>;
}
