import "server-only";
import pino, { type Logger } from "pino";

/**
 * The server's log: one JSON object a line on stdout (pino), with its level, time, process and
 * host, so that a log pipeline can join several instances. `npm run dev` prints it pretty.
 * Lines never carry image bytes, keys or tokens; a task's text only with LOG_PROMPTS=true.
 */
function createLogger(): Logger {
  const options = { level: process.env.LOG_LEVEL ?? "info", timestamp: pino.stdTimeFunctions.isoTime };
  if (process.env.NODE_ENV === "development") return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  return pino(options);
}

/** One logger per process, kept on globalThis: Next bundles instrumentation and each route apart. */
export function getLogger(): Logger {
  const holder = globalThis as { [key: symbol]: Logger | undefined };
  const key = Symbol.for("multimodal-reasoning-agent.logger");
  holder[key] ??= createLogger();
  return holder[key];
}
