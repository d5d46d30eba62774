import { handleAnalyzeRequest } from "@/lib/analysis/handle-analyze";

// busboy, sharp and the model SDKs need Node; every request is new work, never cached.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 300;

export function POST(request: Request): Promise<Response> {
  return handleAnalyzeRequest(request);
}
