import "server-only";
import { getAuthRuntime, identify, viewerOf, type Identity } from "@/lib/auth/identity";
import { listeningBeyondLoopback } from "@/lib/ops/peer-address";
import { getConfig } from "@/lib/config";
import type { Viewer } from "@/lib/shared/auth";
import { AppError } from "@/lib/shared/errors";

export type PageVisitor =
  | { signedIn: true; identity: Identity; viewer: Viewer; openToNetwork: boolean }
  | { signedIn: false; refusal: AppError | undefined };

/**
 * Who opens a page (a server component's request headers): signed in, or not, with the reason
 * when the request claimed an identity it may not (a disabled account, an untrusted proxy header).
 */
export async function pageVisitor(headers: Headers): Promise<PageVisitor> {
  const config = getConfig();
  const runtime = await getAuthRuntime(config);
  try {
    const identity = await identify(headers, runtime);
    if (!identity) return { signedIn: false, refusal: undefined };
    const openToNetwork = config.auth.mode === "none" && listeningBeyondLoopback() !== undefined;
    return { signedIn: true, identity, viewer: viewerOf(identity, config.auth), openToNetwork };
  } catch (error) {
    if (error instanceof AppError) return { signedIn: false, refusal: error };
    throw error;
  }
}
