import "server-only";
import { getAdmission } from "@/lib/analysis/admission";
import type { QueueSlot } from "@/lib/analysis/work-queue";
import type { AppConfig } from "@/lib/config";
import { requireIdentity, type AuthRuntime } from "@/lib/auth/identity";
import { readSavedFollowUp, startSavingTurn, type HistoryAccess } from "@/lib/history/analyze-history";
import { ANALYZE_PROTOCOL_HEADERS } from "@/lib/shared/analyze-contract";
import { AppError, errorResponse, toAppError } from "@/lib/shared/errors";
import type { ImageStore } from "@/lib/image/image-store";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import type { ProviderRegistry } from "@/lib/providers";
import { firstTokenTimeoutError, idleTimeoutError } from "@/lib/providers/provider-errors";
import { configuredSecrets, describeForLog } from "@/lib/providers/redact-secrets";
import type { Provider } from "@/lib/providers/types";
import { getLogger } from "@/lib/ops/logger";
import { getMetrics } from "@/lib/ops/metrics";
import { requestIdOf } from "@/lib/ops/request-id";
import { answerCutByRestartError, isDraining, shuttingDownError, trackAnswer } from "@/lib/ops/shutdown";
import { rejectCrossSite } from "@/lib/security/cross-site";
import { rejectUntrustedHost } from "@/lib/security/request-host";
import { createAnswerStream, type AnswerOutcome, type AnswerStats } from "@/lib/streaming/answer-stream";
import { within } from "@/lib/streaming/deadline";
import { SSE_HEADERS } from "@/lib/streaming/sse";
import { readAnalyzeForm, type AnalyzeForm } from "@/lib/upload/analyze-form";
import { missingImage, parseUpload } from "@/lib/upload/parse-upload";

/** What answering a request needs from the process: the route passes the real ones, tests fakes. */
export interface AnalyzeDependencies {
  config: AppConfig;
  providers: ProviderRegistry;
  /** Keeps prepared images for follow-up questions: a cache in front of the history's copies. */
  imageStore: ImageStore;
  /** Where conversations are saved. */
  history: HistoryAccess;
  /** Who is asking, and how much they may ask (lib/auth). */
  auth: () => Promise<AuthRuntime>;
}

export type AnalyzeHandler = (request: Request) => Promise<Response>;

/**
 * POST /api/analyze, start to finish: receive the upload, prepare the image, start the model and
 * answer with its stream. Every failure before the first token is a JSON error with a status;
 * after it, an `error` event in the stream. Both carry the protocol version header.
 */
export function createAnalyzeHandler(dependencies: AnalyzeDependencies): AnalyzeHandler {
  return (request) => handleAnalyzeRequest(request, dependencies);
}

async function handleAnalyzeRequest(request: Request, dependencies: AnalyzeDependencies): Promise<Response> {
  const { config } = dependencies;
  const startedAt = Date.now();
  const requestId = requestIdOf(request);
  const headers = { ...ANALYZE_PROTOCOL_HEADERS, "X-Request-Id": requestId };
  const phases: Phases = {};
  const bytesIn = Number(request.headers.get("content-length")) || undefined;
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });
  let places: RequestPlaces | undefined;
  let person: string | undefined;

  try {
    rejectUntrustedHost(request, config.allowedHosts);
    rejectCrossSite(request);
    // A server going down for a restart takes no new work; the load balancer sends the retry elsewhere.
    if (isDraining()) throw shuttingDownError();
    // Before a byte of the body is read: someone signed out, or a full server, is answered at once.
    const runtime = await authRuntime(dependencies);
    const identity = await requireIdentity(request, runtime);
    person = identity.userId;
    places = reservePlaces(config, dependencies.providers);
    // However the request ends, its places go back (a place already running gives itself back).
    const reserved = places;
    abort.signal.addEventListener("abort", () => reserved.release(), { once: true });
    const ownerId = identity.userId;
    const admit = (chosen: Provider) => runtime.fairUse.admitAnalysis(ownerId, { remote: chosen.id !== "offline" });
    const { form, image, imageId, provider } = await receiveRequest(request, ownerId, dependencies, places, abort.signal, phases, admit);
    if (abort.signal.aborted) throw cancelled();

    const seconds = (ms: number) => Math.round(ms / 1000);
    const { firstTokenTimeoutMs, idleTimeoutMs } = config.model;
    const firstTokenTimeout = () => firstTokenTimeoutError(provider.label, seconds(firstTokenTimeoutMs));
    const modelCalledAt = Date.now();
    let providerFinishReason: string | undefined;
    const onProviderFinish = (reason: string) => (providerFinishReason = reason);
    // Waiting until the model has accepted the request lets a refused key, a quota or an
    // unreachable server answer with its own HTTP status rather than a 200 with an error inside.
    const answer = await within(
      provider.analyze({
        image,
        prompt: form.prompt,
        history: form.history,
        depth: form.depth,
        signal: abort.signal,
        onProviderFinish,
        analysisSlot: places.analysis,
      }),
      firstTokenTimeoutMs,
      abort,
      firstTokenTimeout,
    );
    if (abort.signal.aborted) throw cancelled();

    const log = { requestId, person: ownerId, provider, startedAt, image, turn: form.history.length + 1, bytesIn, phases, ...(config.logPrompts ? { task: form.prompt } : {}) };
    const { release } = places;
    const saving = await startSavingTurn(dependencies.history, {
      ownerId,
      form,
      image,
      provider,
      startedAt: modelCalledAt,
      logFailure: (cause) => logHistoryFailure(cause),
    });
    const stop = new AbortController();
    const streaming = getMetrics().answersStreaming;
    streaming.inc();
    let markFinished = () => undefined as void;
    trackAnswer({ stop: () => stop.abort(), finished: new Promise<void>((resolve) => (markFinished = resolve)) });
    const body = createAnswerStream({
      meta: {
        provider: provider.id,
        model: provider.model,
        image: { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mimeType },
        ...(imageId ? { imageId } : {}),
        ...saving.ids,
      },
      observer: saving.observer,
      stopSignal: stop.signal,
      stopError: answerCutByRestartError,
      events: answer[Symbol.asyncIterator](),
      abort,
      firstTokenTimeoutMs: firstTokenTimeoutMs - (Date.now() - modelCalledAt),
      firstTokenTimeoutError: firstTokenTimeout,
      idleTimeoutMs,
      idleTimeoutError: () => idleTimeoutError(provider.label, seconds(idleTimeoutMs)),
      onEnd: (outcome, stats) => {
        release();
        streaming.dec();
        Object.assign(phases, streamPhases(modelCalledAt, stats));
        logRequest({ ...log, ...outcomeLog(outcome), providerFinishReason, bytesSent: stats.bytesSent });
        void recordUsage(runtime, ownerId, provider, outcome);
        // Finished once saved: a draining server waits for that before it exits.
        void saving.observer.settle(outcome).finally(markFinished);
      },
    });
    return new Response(body, { headers: { ...SSE_HEADERS, ...headers } });
  } catch (error) {
    places?.release();
    abort.abort();
    const appError = request.signal.aborted ? cancelled() : toAppError(error);
    logRequest({ requestId, person, status: appError.status, code: appError.code, startedAt, bytesIn, phases, cause: appError.cause ?? error });
    return errorResponse(appError, headers);
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
  }
}

/** The sign-in runtime; a database that cannot be read is the history's outage, not a bug. */
async function authRuntime(dependencies: AnalyzeDependencies): Promise<AuthRuntime> {
  try {
    return await dependencies.auth();
  } catch (error) {
    throw new AppError("history_unavailable", "The server's database cannot be reached right now. Try again in a moment.", { retryAfterSeconds: 5, cause: error });
  }
}

/**
 * Usage, from what the provider reported: a row per answered turn for the usage pages, and the
 * tokens against the person's daily budget (remote providers; the offline analyzer costs none).
 */
async function recordUsage(runtime: AuthRuntime, ownerId: string, provider: Provider, outcome: AnswerOutcome): Promise<void> {
  const usage = outcome.ended === "done" ? outcome.done.usage : undefined;
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  const totalTokens = usage?.totalTokens ?? inputTokens + outputTokens;
  try {
    await runtime.accounts.recordUsage({ ownerId, provider: provider.id, model: provider.model ?? null, inputTokens, outputTokens, totalTokens });
    if (provider.id !== "offline" && totalTokens > 0) await runtime.fairUse.recordTokens(ownerId, totalTokens);
  } catch (error) {
    getLogger().error({ route: "/api/analyze", event: "usage_unrecorded", cause: describeForLog(error, configuredSecrets()) });
  }
}

function cancelled(): AppError {
  return new AppError("request_cancelled", "The request was cancelled.");
}

/**
 * The request's places in the work queues. A new image needs preparing, and which provider
 * answers is only known once the body is read: every request takes a preparation place, and an
 * offline analysis place when the offline analyzer is the default, the common case that needs
 * protecting. A request that turns out not to need a place gives it back as soon as that is known.
 */
interface RequestPlaces {
  prepare: QueueSlot;
  analysis: QueueSlot | undefined;
  /** Gives back every place not running; safe to call more than once. */
  release(): void;
}

function reservePlaces(config: AppConfig, providers: ProviderRegistry): RequestPlaces {
  const admission = getAdmission(config);
  const prepare = admission.prepare.reserve();
  let analysis: QueueSlot | undefined;
  try {
    if (providers.defaultProvider.id === "offline") analysis = admission.offlineAnalysis.reserve();
  } catch (error) {
    prepare.release();
    throw error;
  }
  const places: RequestPlaces = {
    prepare,
    analysis,
    release() {
      places.prepare.release();
      places.analysis?.release();
    },
  };
  return places;
}

/** The analysis place, once the chosen provider is known: kept, given back, or taken now. */
function fitPlacesToProvider(places: RequestPlaces, provider: Provider, config: AppConfig) {
  if (provider.id !== "offline") {
    places.analysis?.release();
    places.analysis = undefined;
  } else {
    // A request that chose the offline analyzer on a server whose default is a model.
    places.analysis ??= getAdmission(config).offlineAnalysis.reserve();
  }
}

interface ReceivedRequest {
  form: AnalyzeForm;
  image: PreparedImage;
  /** Where the server keeps the prepared image for follow-ups; undefined when it keeps none. */
  imageId: string | undefined;
  provider: Provider;
}

/**
 * The request, read and checked: a new image is prepared and kept for follow-ups; a follow-up's
 * saved conversation is read from the history, or its image id looked up (410 when it is gone,
 * and the page uploads the file again). The temporary
 * file is gone by the time this returns or throws. The preparation place is used or given back.
 */
async function receiveRequest(
  request: Request,
  ownerId: string,
  { config, providers, imageStore: store, history }: AnalyzeDependencies,
  places: RequestPlaces,
  signal: AbortSignal,
  phases: Phases,
  admit: (provider: Provider) => Promise<void>,
): Promise<ReceivedRequest> {
  const { maxBytes, directory, idleTimeoutMs, timeoutMs } = config.upload;
  const uploadStarted = Date.now();
  const inFlight = getMetrics().uploadsInFlight;
  inFlight.inc();
  const upload = await parseUpload(request, { maxFileBytes: maxBytes, directory, idleTimeoutMs, timeoutMs }).finally(() => inFlight.dec());
  phases.uploadMs = Date.now() - uploadStarted;
  try {
    const form = readAnalyzeForm(upload.fields);
    const provider = providers.choose(form.provider);
    // The person's limits, once the provider is known (only remote ones spend the token budget).
    await admit(provider);
    fitPlacesToProvider(places, provider, config);
    const file = upload.file;
    if (form.conversationId) {
      places.prepare.release();
      if (file) throw new AppError("invalid_request", "Send either a new image or a conversationId to continue, not both.");
      const saved = await readSavedFollowUp(history, store, ownerId, form);
      return { form: { ...form, history: saved.history }, image: saved.image, imageId: undefined, provider };
    }
    if (file) {
      // Waits its turn: only a few images are decoded at once. A client gone meanwhile is dropped.
      const prepareStarted = Date.now();
      const image = await places.prepare.run(() => prepareImage(file.path, config.image), signal);
      phases.prepareMs = Date.now() - prepareStarted;
      return { form, image, imageId: store.put(image, ownerId), provider };
    }
    places.prepare.release();
    if (!form.imageId) throw missingImage();
    const image = store.get(form.imageId, ownerId);
    if (!image) {
      throw new AppError("image_expired", "The server no longer keeps the image from the earlier question. Send it again.");
    }
    return { form, image, imageId: form.imageId, provider };
  } finally {
    await upload.cleanup();
  }
}

/** The answer streams on; the operators learn why it was not saved. */
function logHistoryFailure(cause: unknown) {
  getLogger().error({ route: "/api/analyze", event: "history_unsaved", cause: describeForLog(cause, configuredSecrets()) });
}

/**
 * Where a request's time went: receiving the upload, preparing the image (its wait for a place
 * included), waiting for the model's first thought or word, and streaming the rest.
 */
interface Phases {
  uploadMs?: number;
  prepareMs?: number;
  firstTokenMs?: number;
  streamMs?: number;
}

function streamPhases(modelCalledAt: number, { firstEventAt }: AnswerStats): Phases {
  const endedAt = Date.now();
  return firstEventAt === undefined
    ? { firstTokenMs: endedAt - modelCalledAt }
    : { firstTokenMs: firstEventAt - modelCalledAt, streamMs: endedAt - firstEventAt };
}

interface RequestLog {
  requestId: string;
  status: number;
  startedAt: number;
  /** 1 for a first question, 2 for the first follow-up, and so on. */
  turn?: number;
  code?: string;
  provider?: Provider;
  image?: PreparedImage;
  finishReason?: string;
  /** The provider's own finish reason beside ours ("MAX_TOKENS" for "length"). */
  providerFinishReason?: string;
  totalTokens?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** The task's text, only with LOG_PROMPTS=true. */
  task?: string;
  /** Who asked: the account's id (never the e-mail, which the log need not hold). */
  person?: string;
  /** The request's declared size, and the bytes of the answer's stream. */
  bytesIn?: number;
  bytesSent?: number;
  phases?: Phases;
  cause?: unknown;
}

/** A stream's end, in the log's terms: it was a 200, but how did the answer end? */
function outcomeLog(outcome: AnswerOutcome): Pick<RequestLog, "status" | "code" | "finishReason" | "totalTokens" | "inputTokens" | "outputTokens" | "cause"> {
  switch (outcome.ended) {
    case "done": {
      const usage = outcome.done.usage;
      return { status: 200, finishReason: outcome.done.finishReason, totalTokens: usage?.totalTokens, inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens };
    }
    case "error":
      return { status: 200, code: outcome.error.code, cause: outcome.error.cause ?? outcome.error };
    case "cancelled":
      return { status: 200, code: "request_cancelled" };
  }
}

/**
 * One line per request for the operators, written when the request ends (for a stream, when the
 * answer ends). Failures keep their cause for debugging; it never reaches the client.
 */
function logRequest(entry: RequestLog) {
  const { requestId, status, startedAt, turn, code, provider, image, finishReason, providerFinishReason, totalTokens, cause } = entry;
  const line = {
    route: "/api/analyze",
    status,
    ms: Date.now() - startedAt,
    requestId,
    ...(entry.person ? { person: entry.person } : {}),
    ...(turn && turn > 1 ? { turn } : {}),
    ...(code ? { code } : {}),
    ...(provider ? { provider: provider.id, model: provider.model } : {}),
    ...(image ? { image: `${image.width}x${image.height} ${image.mimeType} ${image.bytes}B` } : {}),
    ...(finishReason ? { finishReason } : {}),
    // The provider's own reason only when it says more than ours ("MAX_TOKENS" beside "length").
    ...(providerFinishReason && providerFinishReason.toLowerCase() !== finishReason ? { providerFinishReason } : {}),
    ...(totalTokens ? { totalTokens } : {}),
    ...(entry.bytesIn ? { bytesIn: entry.bytesIn } : {}),
    ...(entry.bytesSent ? { bytesSent: entry.bytesSent } : {}),
    ...(entry.phases && Object.keys(entry.phases).length ? { phases: entry.phases } : {}),
    ...(entry.task !== undefined ? { task: entry.task } : {}),
  };
  recordMetrics(entry);
  // A full queue or a restart is the server protecting itself, not a fault: under a flood, a
  // stack per refusal would be most of the work (and writes to a pipe block the event loop).
  const refusal = code === "server_busy" || code === "server_restarting";
  const failed = (status >= 500 && !refusal) || (code !== undefined && code !== "request_cancelled" && status === 200);
  // A cause carries the model server's own words, which may echo the request's key.
  if (failed) getLogger().error({ ...line, cause: describeForLog(cause, configuredSecrets()) });
  else getLogger().info(line);
}

/** The same request in the metrics: its status, tokens and phases. */
function recordMetrics({ status, code, provider, phases, inputTokens, outputTokens }: RequestLog) {
  const metrics = getMetrics();
  const providerId = provider?.id ?? "none";
  metrics.analyzeRequests.inc({ status: String(status), provider: providerId, code: code ?? "" });
  if (inputTokens) metrics.tokens.inc({ provider: providerId, kind: "input" }, inputTokens);
  if (outputTokens) metrics.tokens.inc({ provider: providerId, kind: "output" }, outputTokens);
  const observed: Array<[string, number | undefined]> = [
    ["upload", phases?.uploadMs],
    ["prepare", phases?.prepareMs],
    ["first_token", phases?.firstTokenMs],
    ["stream", phases?.streamMs],
  ];
  for (const [phase, ms] of observed) if (ms !== undefined) metrics.phaseSeconds.observe({ phase, provider: providerId }, ms / 1000);
}
