import { getProviders, summarise } from "@/lib/providers";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The providers a request may choose (default first): names and models, never secrets. */
export function GET(): Response {
  const { defaultProvider, providers } = getProviders();
  return Response.json(
    { default: defaultProvider.id, providers: providers.map(summarise) },
    { headers: { "Cache-Control": "no-store" } },
  );
}
