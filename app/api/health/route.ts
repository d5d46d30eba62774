import { getProvider } from "@/lib/providers";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  const provider = getProvider();
  return Response.json(
    { status: "ok", provider: provider.id, model: provider.model },
    { headers: { "Cache-Control": "no-store" } },
  );
}
