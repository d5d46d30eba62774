import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Tests build into their own folder so that `npm test` never clobbers a running `npm start`.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  poweredByHeader: false,
  // Native and large server-only packages are loaded by Node at run time, not bundled.
  serverExternalPackages: ["sharp", "formidable"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
