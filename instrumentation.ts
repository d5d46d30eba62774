/** Next runs this once when the server starts, before it handles any request (it may already have accepted some). */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // First: routes learn the TCP peer's address only from this header, which no client can forge.
    const { installPeerAddressHeader, warnWhenListeningBeyondLoopback } = await import("@/lib/ops/peer-address");
    installPeerAddressHeader();
    // ONNX Runtime's telemetry writes files to the temporary directory. The offline analyzer's
    // worker thread cannot turn it off: native code sees only the main thread's environment.
    process.env.ORT_DISABLE_TELEMETRY ??= "1";
    const { checkConfigAtStartup, getConfig } = await import("@/lib/config");
    checkConfigAtStartup();
    if (getConfig().auth.mode === "none") warnWhenListeningBeyondLoopback((message) => console.warn(message));
    const { allocatorAdvice, disableImageCache } = await import("@/lib/ops/native-memory");
    disableImageCache();
    const advice = allocatorAdvice();
    if (advice) console.warn(advice);
    const { startUploadSweeper } = await import("@/lib/upload/upload-directory");
    startUploadSweeper(getConfig().upload);
    const { openHistoryAtStartup } = await import("@/lib/history/startup");
    await openHistoryAtStartup(getConfig());
    const { installShutdownHandler } = await import("@/lib/ops/shutdown");
    const { getLogger } = await import("@/lib/ops/logger");
    installShutdownHandler(getConfig().shutdownGraceMs, (line) => getLogger().info(line));
  }
}
