"use client";
// My invites, received and sent (LunaService.ListMyInvites).

import { useEffect, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { ErrorText } from "@/components/shared/ErrorText";
import { RequireUser } from "@/components/shared/RequireUser";
import { type Invite, InviteStatus } from "@/gen/luna/backend/v1/backend_pb";
import { when } from "@/lib/format";

const STATUS: Record<InviteStatus, string> = {
  [InviteStatus.UNSPECIFIED]: "",
  [InviteStatus.PENDING]: "pending",
  [InviteStatus.ACCEPTED]: "accepted",
  [InviteStatus.DECLINED]: "declined",
  [InviteStatus.EXPIRED]: "expired",
};

function InviteRows({ invites, direction }: { invites: Invite[]; direction: "from" | "to" }) {
  if (invites.length === 0) return <p className="empty">None.</p>;
  return (
    <ul className="cards">
      {invites.map((i) => (
        <li key={String(i.id)} className="card">
          <strong>{i.venueName}</strong> · {when(i.time)} · {direction}{" "}
          {direction === "from" ? i.fromUser?.name : i.toUser?.name} · {STATUS[i.status]}
          {i.message ? <div className="muted">“{i.message}”</div> : null}
        </li>
      ))}
    </ul>
  );
}

function Invites() {
  const { client } = useAuth();
  const [received, setReceived] = useState<Invite[] | null>(null);
  const [sent, setSent] = useState<Invite[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!client) return;
    client.listMyInvites({}).then((res) => {
      setReceived(res.received);
      setSent(res.sent);
    }, setError);
  }, [client]);

  return (
    <section>
      <h1>My invites</h1>
      <ErrorText error={error} />
      {received === null && !error ? <p>Loading…</p> : null}
      {received ? (
        <>
          <h2>Received</h2>
          <InviteRows invites={received} direction="from" />
          <h2>Sent</h2>
          <InviteRows invites={sent} direction="to" />
        </>
      ) : null}
    </section>
  );
}

export default function InvitesPage() {
  return (
    <RequireUser>
      <Invites />
    </RequireUser>
  );
}
