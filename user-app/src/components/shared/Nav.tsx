"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useAuth } from "./AuthProvider";

const LINKS = [
  { href: "/venues", label: "Venues" },
  { href: "/bookings", label: "My bookings" },
  { href: "/invites", label: "My invites" },
];

export function Nav() {
  const { user, signOut } = useAuth();
  const path = usePathname();
  return (
    <header className="nav">
      <Link href="/venues" className="nav__brand">
        Luna
      </Link>
      <nav>
        {LINKS.map((link) => (
          <Link key={link.href} href={link.href} className={path?.startsWith(link.href) ? "active" : ""}>
            {link.label}
          </Link>
        ))}
      </nav>
      <div className="nav__user">
        {user ? (
          <>
            <span data-testid="signed-in-as">{user.name}</span>
            <button type="button" className="button button--link" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : (
          <Link href="/signin">Sign in</Link>
        )}
      </div>
    </header>
  );
}
