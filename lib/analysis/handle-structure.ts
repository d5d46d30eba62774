import "server-only";
import { getAdmission } from "@/lib/analysis/admission";
import type { QueueSlot } from "@/lib/analysis/work-queue";
import type { AppConfig } from "@/lib/config";
import { requireIdentity, type AuthRuntime } from "@/lib/auth/identity";
import { prepareImage } from "@/lib/image/prepare-image";
import { analyzeStructure, structureToDrawio, structureToMermaid, type AnalyzeFunction } from "@/lib/offline";
import { getLogger } from "@/lib/ops/logger";
import { requestIdOf } from "@/lib/ops/request-id";
import { isDraining, shuttingDownError } from "@/lib/ops/shutdown";
import { configuredSecrets, describeForLog } from "@/lib/providers/redact-secrets";
import { rejectCrossSite } from "@/lib/security/cross-site";
import { rejectUntrustedHost } from "@/lib/security/request-host";
import { AppError, errorResponse, toAppError } from "@/lib/shared/errors";
import { missingImage, parseUpload } from "@/lib/upload/parse-upload";

export const STRUCTURE_FORMATS = ["json", "mermaid", "drawio"] as const;
type StructureFormat = (typeof STRUCTURE_FORMATS)[number];

export interface StructureDependencies {
  config: AppConfig;
  /** The offline analyzer's thread (shared with the offline provider, and its cache). */
  analyze: AnalyzeFunction;
  /** Who is asking (lib/auth): the structure is read for signed-in people only. */
  auth: () => Promise<AuthRuntime>;
}

/**
 * POST /api/structure: the diagram's structure as the offline analyzer reads it (components,
 * groups, steps, arrows, legend, other text), as JSON, a Mermaid flowchart or a draw.io file.
 * The upload follows /api/analyze's rules (the same limits, queues and errors); no model is asked.
 */
export async function handleStructureRequest(request: Request, { config, analyze, auth }: StructureDependencies): Promise<Response> {
  const startedAt = Date.now();
  const requestId = requestIdOf(request);
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });
  let places: { prepare: QueueSlot; analysis: QueueSlot } | undefined;
  try {
    rejectUntrustedHost(request, config.allowedHosts);
    rejectCrossSite(request);
    if (isDraining()) throw shuttingDownError();
    const format = formatOf(request);
    await requireIdentity(request, await auth());
    places = reserve(config);
    const { maxBytes, directory, idleTimeoutMs, timeoutMs } = config.upload;
    const upload = await parseUpload(request, { maxFileBytes: maxBytes, directory, idleTimeoutMs, timeoutMs });
    let structure;
    try {
      const file = upload.file;
      if (!file) throw missingImage();
      const image = await places.prepare.run(() => prepareImage(file.path, config.image), abort.signal);
      structure = await analyzeStructure(analyze, image.data, { signal: abort.signal, slot: places.analysis });
    } finally {
      await upload.cleanup();
    }
    getLogger().info({ route: "/api/structure", status: 200, ms: Date.now() - startedAt, requestId, format, components: structure.components.length, edges: structure.edges.length });
    return formatted(structure, format, requestId);
  } catch (error) {
    places?.prepare.release();
    places?.analysis.release();
    abort.abort();
    const appError = toAppError(error);
    const line = { route: "/api/structure", status: appError.status, code: appError.code, ms: Date.now() - startedAt, requestId };
    if (appError.status >= 500 && appError.code !== "server_busy") getLogger().error({ ...line, cause: describeForLog(appError.cause ?? error, configuredSecrets()) });
    else getLogger().info(line);
    return errorResponse(appError, { "X-Request-Id": requestId });
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
  }
}

function formatOf(request: Request): StructureFormat {
  const format = new URL(request.url).searchParams.get("format") ?? "json";
  if (!(STRUCTURE_FORMATS as readonly string[]).includes(format)) {
    throw new AppError("invalid_request", `format is ${STRUCTURE_FORMATS.join(", ")} or left out (json).`);
  }
  return format as StructureFormat;
}

/** A place to prepare the image and one to analyse it, before the body is read (503 when full). */
function reserve(config: AppConfig) {
  const admission = getAdmission(config);
  const prepare = admission.prepare.reserve();
  try {
    return { prepare, analysis: admission.offlineAnalysis.reserve() };
  } catch (error) {
    prepare.release();
    throw error;
  }
}

function formatted(structure: Parameters<typeof structureToMermaid>[0], format: StructureFormat, requestId: string): Response {
  const headers = { "Cache-Control": "no-store", "X-Request-Id": requestId };
  switch (format) {
    case "json":
      return Response.json(structure, { headers });
    case "mermaid":
      return new Response(structureToMermaid(structure), {
        headers: { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Disposition": 'attachment; filename="diagram.mmd"' },
      });
    case "drawio":
      return new Response(structureToDrawio(structure), {
        headers: { ...headers, "Content-Type": "application/xml; charset=utf-8", "Content-Disposition": 'attachment; filename="diagram.drawio"' },
      });
  }
}
