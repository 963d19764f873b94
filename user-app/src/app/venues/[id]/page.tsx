"use client";
// One venue: details, opening hours and map coordinates (LunaService.GetVenue).

import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { ErrorText } from "@/components/shared/ErrorText";
import { RequireUser } from "@/components/shared/RequireUser";
import type { Venue } from "@/gen/luna/backend/v1/backend_pb";
import { clock, priceLabel, WEEKDAYS } from "@/lib/format";

function VenueDetail({ id }: { id: string }) {
  const { client } = useAuth();
  const [venue, setVenue] = useState<Venue | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!client || !/^\d+$/.test(id)) return;
    client.getVenue({ venueId: BigInt(id) }).then((res) => setVenue(res.venue ?? null), setError);
  }, [client, id]);

  if (error) return <ErrorText error={error} />;
  if (!venue) return <p>Loading…</p>;
  const osm = `https://www.openstreetmap.org/?mlat=${venue.latitude}&mlon=${venue.longitude}#map=17/${venue.latitude}/${venue.longitude}`;
  const features = [
    venue.outdoorSeating && "outdoor seating",
    venue.kidFriendly && "kid friendly",
    venue.vegetarianOptions && "vegetarian options",
    venue.takesReservations ? "takes reservations" : "walk-in only",
  ].filter(Boolean);
  return (
    <article data-testid="venue-detail">
      <p><Link href="/venues">← All venues</Link></p>
      <h1>{venue.name}</h1>
      <p className="muted">{venue.cuisines.join(", ")} · {priceLabel(venue.priceLevel)} · ★ {venue.rating.toFixed(1)}</p>
      <p>{venue.address} ({venue.neighbourhood}) · {venue.phone}</p>
      <p>{features.join(" · ")}</p>
      <h2>Opening hours</h2>
      <table className="hours">
        <tbody>
          {WEEKDAYS.map((day, weekday) => {
            const slots = venue.hours.filter((h) => h.weekday === weekday);
            return (
              <tr key={day}>
                <th scope="row">{day}</th>
                <td>{slots.length ? slots.map((h) => `${clock(h.openMinute)}–${clock(h.closeMinute)}`).join(", ") : "closed"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Location</h2>
      <p data-testid="venue-coordinates">
        {venue.latitude.toFixed(5)}, {venue.longitude.toFixed(5)} · <a href={osm} target="_blank" rel="noreferrer">Open map</a>
      </p>
      <p className="muted">Times are local to {venue.timeZone || "the venue"}.</p>
    </article>
  );
}

export default function VenuePage() {
  const params = useParams<{ id: string }>();
  return (
    <RequireUser>
      <VenueDetail id={params.id} />
    </RequireUser>
  );
}
