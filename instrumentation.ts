/** Next runs this once when the server starts, before any request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkConfigAtStartup, getConfig } = await import("@/lib/config");
    checkConfigAtStartup();
    const { startUploadSweeper } = await import("@/lib/upload/upload-directory");
    startUploadSweeper(getConfig().upload);
  }
}
