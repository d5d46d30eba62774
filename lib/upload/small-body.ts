import "server-only";
import { AppError } from "@/lib/shared/errors";

/** What a small body is refused with: how many bytes it may have, and the sentences for a 400. */
export interface SmallBodyLimits {
  maxBytes: number;
  /** Said when the body is larger than maxBytes. */
  tooLarge: string;
  /** Said when the body is not JSON (readSmallJson only). */
  malformed?: string;
}

/**
 * The body of a small request (a title, a token's name, a sign-in) as text. A stated
 * Content-Length over the limit is refused before reading; a body that grows past it is cancelled,
 * so a client can never make the server hold more than the limit.
 */
export async function readSmallText(request: Request, limits: SmallBodyLimits): Promise<string> {
  const refuse = () => new AppError("invalid_request", limits.tooLarge);
  if (Number(request.headers.get("content-length") ?? 0) > limits.maxBytes) throw refuse();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limits.maxBytes) {
      await reader.cancel();
      throw refuse();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The body of a small request as parsed JSON, or a 400 that says what to send instead. */
export async function readSmallJson(request: Request, limits: SmallBodyLimits): Promise<unknown> {
  const text = await readSmallText(request, limits);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", limits.malformed ?? "Send the request's body as JSON.");
  }
}

/**
 * The address the person reached this server at, for a link they will send to others: the Host
 * they sent (proxy.ts has checked it against ALLOWED_HOSTS), and https when a proxy in front says
 * it received https. Callers use PUBLIC_URL instead when it is set.
 */
export function requestOrigin(request: Request): string {
  const url = new URL(request.url);
  const host = request.headers.get("host");
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  const protocol = forwarded === "https" || forwarded === "http" ? forwarded : url.protocol.replace(":", "");
  return host ? `${protocol}://${host}` : url.origin;
}
