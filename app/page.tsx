import { AnalyzerApp } from "@/components/analyzer-app";
import { getConfig } from "@/lib/config";
import { getProviders, summarise } from "@/lib/providers";

// The providers and limits come from the server's environment at request time, not build time.
export const dynamic = "force-dynamic";

export default function HomePage() {
  const config = getConfig();
  const { providers } = getProviders(config);
  return <AnalyzerApp maxUploadBytes={config.upload.maxBytes} providers={providers.map(summarise)} />;
}
