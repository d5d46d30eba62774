import { getProviders } from "@/lib/providers";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  const { defaultProvider } = getProviders();
  return Response.json(
    { status: "ok", provider: defaultProvider.id, model: defaultProvider.model },
    { headers: { "Cache-Control": "no-store" } },
  );
}
