import { AnalyzerApp } from "@/components/AnalyzerApp";
import { getConfig } from "@/lib/config";
import { getProvider } from "@/lib/providers";

// The provider and limits come from the server's environment at request time, not build time.
export const dynamic = "force-dynamic";

export default function HomePage() {
  const config = getConfig();
  return <AnalyzerApp maxUploadBytes={config.upload.maxBytes} providerLabel={getProvider(config).label} />;
}
