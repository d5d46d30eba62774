/** Next runs this once when the server starts, before any request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkConfigAtStartup } = await import("@/lib/config");
    checkConfigAtStartup();
    const { allocatorAdvice, disableImageCache } = await import("@/lib/server/native-memory");
    disableImageCache();
    const advice = allocatorAdvice();
    if (advice) console.warn(advice);
  }
}
