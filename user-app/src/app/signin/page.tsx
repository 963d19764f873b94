"use client";
// Development sign-in: pick a demo user; the backend (LUNA_DEV_LOGIN=1) mints their token.

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { ErrorText } from "@/components/shared/ErrorText";
import type { UserSummary } from "@/gen/luna/backend/v1/backend_pb";

export default function SignInPage() {
  const { client, signIn, user } = useAuth();
  const router = useRouter();
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!client) return;
    client.listDemoUsers({}).then((res) => setUsers(res.users), setError);
  }, [client]);

  const choose = async (id: bigint) => {
    if (!client) return;
    try {
      const res = await client.devLogin({ userId: id });
      signIn({ id: String(res.user?.id ?? id), name: res.user?.name ?? `User ${id}`, token: res.token });
      router.push("/venues");
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1>Sign in</h1>
      {user ? <p>Signed in as {user.name}. Choose another demo user to switch.</p> : <p>Choose a demo user.</p>}
      <ErrorText error={error} />
      {users === null && !error ? <p>Loading…</p> : null}
      <ul className="cards">
        {users?.map((u) => (
          <li key={String(u.id)}>
            <button type="button" className="card card--button" onClick={() => choose(u.id)}>
              {u.name}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
