import type { ReactNode } from "react";
import { AnalyzerApp } from "@/components/analyzer-app";
import { getConfig } from "@/lib/config";
import { getProviders, summarise } from "@/lib/providers";

// The providers and limits come from the server's environment at request time, not build time.
export const dynamic = "force-dynamic";

/**
 * The page lives here rather than in a page: the empty page (`/`) and a saved conversation
 * (`/c/<id>`) are the same app, which keeps its state (a streaming answer, the history list) as
 * the address moves between them. It reads the conversation's id from the address itself.
 */
export default function WorkspaceLayout({ children }: { children: ReactNode }) {
  const config = getConfig();
  const { providers } = getProviders(config);
  return (
    <>
      <AnalyzerApp maxUploadBytes={config.upload.maxBytes} providers={providers.map(summarise)} />
      {children}
    </>
  );
}
