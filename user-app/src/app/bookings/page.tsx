"use client";
// My bookings, live: LunaService.WatchMyBookings streams the list now and after every
// change, so a booking made by voice appears here without a reload.

import { useEffect, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { ErrorText } from "@/components/shared/ErrorText";
import { RequireUser } from "@/components/shared/RequireUser";
import { type Booking, BookingStatus } from "@/gen/luna/backend/v1/backend_pb";
import { backoffDelay } from "@/lib/voice/backoff";
import { when } from "@/lib/format";

function BookingList() {
  const { client } = useAuth();
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const [includePast, setIncludePast] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!client) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = async (attempt: number) => {
      try {
        for await (const res of client.watchMyBookings({ includePast }, { signal: controller.signal })) {
          setBookings(res.bookings);
          setError(null);
          attempt = 0;
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        setError(err);
      }
      // The stream ended (idle cut, server restart): watch again, backing off.
      if (controller.signal.aborted) return;
      const delay = backoffDelay(attempt, { maxAttempts: 1000, maxMs: 10000 });
      if (delay !== null) timer = setTimeout(() => void watch(attempt + 1), delay);
    };
    void watch(0);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, includePast]);

  return (
    <section>
      <h1>My bookings</h1>
      <label className="toggle">
        <input type="checkbox" checked={includePast} onChange={(e) => setIncludePast(e.target.checked)} /> Include past
        and cancelled
      </label>
      <ErrorText error={error} />
      {bookings === null && !error ? <p>Loading…</p> : null}
      {bookings?.length === 0 ? <p className="empty">No bookings yet. Tap the microphone and say “book a table”.</p> : null}
      <ul className="cards" data-testid="booking-list">
        {bookings?.map((b) => (
          <li key={String(b.id)} className="card" data-testid="booking" data-venue={b.venueName}
            data-code={b.confirmationCode}>
            <strong>{b.venueName}</strong> · {when(b.startTime)} · party of {b.partySize}
            <div className="muted">
              {b.status === BookingStatus.CANCELLED ? "Cancelled" : "Confirmed"} · code {b.confirmationCode}
              {b.occasion ? ` · ${b.occasion}` : ""}
              {b.specialRequests ? ` · “${b.specialRequests}”` : ""}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function BookingsPage() {
  return (
    <RequireUser>
      <BookingList />
    </RequireUser>
  );
}
