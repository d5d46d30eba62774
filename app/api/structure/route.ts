import { getConfig } from "@/lib/config";
import { handleStructureRequest } from "@/lib/analysis/handle-structure";
import { getProviders } from "@/lib/providers";
import { getAuthRuntime } from "@/lib/auth/identity";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 120;

/** The diagram's structure, read offline: `?format=json` (default), `mermaid` or `drawio`. */
export function POST(request: Request): Promise<Response> {
  const config = getConfig();
  return handleStructureRequest(request, { config, analyze: getProviders(config).offlineAnalyze!, auth: () => getAuthRuntime(config) });
}
