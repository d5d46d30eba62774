import "server-only";
import { AppError } from "@/lib/shared/errors";

/**
 * A page on another site must not spend this server's model quota, or change or delete someone's
 * history, through a teammate's browser: a multipart POST (or a DELETE a form cannot send, but a
 * script on a same-site page could) carries where it comes from. Requests without the header
 * (curl, scripts) are not browsers acting for someone else.
 */
export function rejectCrossSite(request: Request): void {
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    throw new AppError("cross_site_request", "Requests from other sites are not accepted. Open this tool's own page.");
  }
}
