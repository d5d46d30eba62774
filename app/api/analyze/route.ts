import { getConfig } from "@/lib/config";
import { createAnalyzeHandler } from "@/lib/analysis/handle-analyze";
import { getImageStore } from "@/lib/image/image-store";
import { getProviders } from "@/lib/providers";
import { getHistoryStore } from "@/lib/store/database";
import { getAuthRuntime } from "@/lib/auth/identity";

// busboy, sharp and the model SDKs need Node; every request is new work, never cached.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 300;

export function POST(request: Request): Promise<Response> {
  // Each getter returns the process's one instance, made on first use (instrumentation.ts has
  // checked the settings and opened the history at start-up). Resolved here rather than when the
  // module loads, so that importing the route, as `next build` does, reads no settings and starts
  // no timers.
  const config = getConfig();
  return createAnalyzeHandler({
    config,
    providers: getProviders(config),
    imageStore: getImageStore(config),
    history: () => getHistoryStore(config),
    auth: () => getAuthRuntime(config),
  })(request);
}
