import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // Served behind Envoy on another port; Next needs no knowledge of it.
  poweredByHeader: false,
};

export default nextConfig;
