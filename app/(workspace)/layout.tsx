import type { ReactNode } from "react";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AnalyzerApp } from "@/components/analyzer-app";
import { pageVisitor } from "@/lib/auth/viewer";
import { getConfig } from "@/lib/config";
import { getProviders, summarise } from "@/lib/providers";

// The providers and limits come from the server's environment at request time, not build time.
export const dynamic = "force-dynamic";

/**
 * The page lives here rather than in a page: the empty page (`/`) and a saved conversation
 * (`/c/<id>`) are the same app, which keeps its state (a streaming answer, the history list) as
 * the address moves between them. It reads the conversation's id from the address itself.
 */
export default async function WorkspaceLayout({ children }: { children: ReactNode }) {
  const config = getConfig();
  const visitor = await pageVisitor(await headers());
  // Signed out (or refused): the sign-in page says why and how. The page's own address is not
  // known to a layout; the sign-in page returns to the workspace.
  if (!visitor.signedIn) redirect(visitor.refusal ? `/sign-in/error?error=${visitor.refusal.code}` : "/sign-in");
  const { providers } = getProviders(config);
  return (
    <>
      <AnalyzerApp
        maxUploadBytes={config.upload.maxBytes}
        providers={providers.map(summarise)}
        viewer={visitor.viewer}
        openToNetwork={visitor.openToNetwork}
      />
      {children}
    </>
  );
}
