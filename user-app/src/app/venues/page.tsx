"use client";
// Venues: free-text search, cuisine and price filters (LunaService.ListVenues).

import Link from "next/link";
import { useEffect, useState } from "react";
import { useAuth } from "@/components/shared/AuthProvider";
import { ErrorText } from "@/components/shared/ErrorText";
import { RequireUser } from "@/components/shared/RequireUser";
import type { Venue } from "@/gen/luna/backend/v1/backend_pb";
import { priceLabel } from "@/lib/format";

function VenueSearch() {
  const { client } = useAuth();
  const [query, setQuery] = useState("");
  const [cuisine, setCuisine] = useState("");
  const [maxPrice, setMaxPrice] = useState(0);
  const [venues, setVenues] = useState<Venue[] | null>(null);
  const [cuisines, setCuisines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);

  // The cuisine menu comes from the whole catalogue, not from the current results.
  useEffect(() => {
    if (!client) return;
    client.listVenues({ pageSize: 500 }).then(
      (res) => setCuisines([...new Set(res.venues.flatMap((v) => v.cuisines))].sort()),
      setError,
    );
  }, [client]);

  useEffect(() => {
    if (!client) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client
        .listVenues({ query, cuisine, maxPriceLevel: maxPrice, pageSize: 100 }, { signal: controller.signal })
        .then((res) => {
          setVenues(res.venues);
          setError(null);
        })
        .catch((err) => {
          if (!controller.signal.aborted) setError(err);
        });
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, query, cuisine, maxPrice]);

  return (
    <section>
      <h1>Venues</h1>
      <div className="filters">
        <input aria-label="Search venues" placeholder="Search by name, cuisine, area…" value={query}
          onChange={(e) => setQuery(e.target.value)} />
        <select aria-label="Cuisine" value={cuisine} onChange={(e) => setCuisine(e.target.value)}>
          <option value="">Any cuisine</option>
          {cuisines.map((c) => (
            <option key={c} value={c}>{c}</option>
          ))}
        </select>
        <select aria-label="Price" value={maxPrice} onChange={(e) => setMaxPrice(Number(e.target.value))}>
          <option value={0}>Any price</option>
          {[1, 2, 3, 4].map((p) => (
            <option key={p} value={p}>up to {priceLabel(p)}</option>
          ))}
        </select>
      </div>
      <ErrorText error={error} />
      {venues === null && !error ? <p>Loading…</p> : null}
      {venues?.length === 0 ? <p className="empty">No venues match.</p> : null}
      <ul className="cards" data-testid="venue-list">
        {venues?.map((v) => (
          <li key={String(v.id)} className="card">
            <Link href={`/venues/${v.id}`}><strong>{v.name}</strong></Link>
            <span className="muted"> · {v.cuisines.join(", ")} · {priceLabel(v.priceLevel)} · ★ {v.rating.toFixed(1)}</span>
            <div className="muted">{v.neighbourhood}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function VenuesPage() {
  return (
    <RequireUser>
      <VenueSearch />
    </RequireUser>
  );
}
