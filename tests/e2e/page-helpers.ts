import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test as base, type Page, type Request } from "@playwright/test";
import { diagramPng } from "../helpers/images";
import { E2E_MODEL } from "./e2e-env";

/** What the specs share: the page's controls as a person finds them, pictures, and files to upload. */

export const DIAGRAM_NAME = "serverless-diagram.png";
export const GEMINI_LABEL = `Gemini · ${E2E_MODEL}`;
export const OFFLINE_LABEL = "Offline analyzer · no model, nothing leaves the server";

export interface E2EFixtures {
  /** The serverless diagram (tests/helpers/images.ts) as a file to pick. */
  diagramPath: string;
  /** Writes bytes to a file to pick, in a folder removed when the worker ends. */
  tempFile(name: string, bytes: Uint8Array): Promise<string>;
}

export const test = base.extend<object, E2EFixtures>({
  tempFile: [
    async ({}, use) => {
      const directory = await mkdtemp(path.join(os.tmpdir(), "mra-e2e-"));
      await use(async (name, bytes) => {
        const file = path.join(directory, name);
        await writeFile(file, bytes);
        return file;
      });
      await rm(directory, { recursive: true, force: true });
    },
    { scope: "worker" },
  ],
  diagramPath: [async ({ tempFile }, use) => use(await tempFile(DIAGRAM_NAME, await diagramPng())), { scope: "worker" }],
});

export { expect } from "@playwright/test";

export function controls(page: Page) {
  const form = page.getByRole("form", { name: "Analyze an image" });
  const followUp = page.getByRole("form", { name: "Ask a follow-up" });
  return {
    upload: page.getByLabel("Upload image"),
    task: page.getByRole("textbox", { name: "Task" }),
    /** The example tasks under the task box. */
    examples: page.getByRole("group", { name: "Example tasks" }),
    analyze: page.getByRole("button", { name: "Analyze", exact: true }),
    stop: page.getByRole("button", { name: "Stop", exact: true }),
    form,
    /** Every question and its answer, oldest first. */
    turns: page.getByTestId("turn"),
    /** The latest question and its answer. */
    answer: page.getByTestId("turn").last(),
    conversation: page.getByRole("region", { name: "Conversation" }),
    model: page.getByRole("combobox", { name: "Model" }),
    depth: page.getByRole("combobox", { name: "Depth" }),
    followUp,
    followUpTask: followUp.getByRole("textbox", { name: /^Follow-up about / }),
    ask: followUp.getByRole("button", { name: "Ask", exact: true }),
  };
}

/** Uploads the file, types the task and presses Analyze. */
export async function analyze(page: Page, file: string, task: string) {
  const { upload, task: taskBox, analyze: analyzeButton } = controls(page);
  await upload.setInputFiles(file);
  await taskBox.fill(task);
  await analyzeButton.click();
}

export function screenshotPath(name: string): string {
  return path.join(test.info().project.outputDir, "screenshots", `${name}.png`);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: "disabled" });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * The page as it is now, on a desktop and a phone, light and dark: `{name}-desktop`,
 * `{name}-desktop-dark`, `{name}-phone`, `{name}-phone-dark`. Leaves the page at desktop size, light.
 */
export async function screenshotEveryLook(page: Page, name: string) {
  await page.mouse.move(0, 0); // no hover styles in the pictures
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    await page.setViewportSize(viewport);
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await screenshot(page, `${name}-${size}${scheme === "dark" ? "-dark" : ""}`);
    }
  }
  await page.setViewportSize(DESKTOP);
  await page.emulateMedia({ colorScheme: "light" });
}

/** One POST /api/analyze as the browser sent it. */
export interface SentAnalysis {
  request: Request;
  /**
   * The multipart form's field names, in order. Chromium does not report a body that holds a
   * file, so this is null when the image itself was sent: `bytes()` tells that apart.
   */
  fields: string[] | null;
  /** The body's size, from its Content-Length. */
  bytes(): Promise<number>;
}

/** Records every POST /api/analyze the page makes from now on, in order. */
export function recordAnalyses(page: Page): SentAnalysis[] {
  const sent: SentAnalysis[] = [];
  page.on("request", (request) => {
    if (request.method() !== "POST" || new URL(request.url()).pathname !== "/api/analyze") return;
    const body = request.postDataBuffer()?.toString("latin1");
    sent.push({
      request,
      fields: body === undefined ? null : [...body.matchAll(/Content-Disposition: form-data; name="([^"]+)"/g)].map((part) => part[1]!),
      bytes: async () => Number((await request.allHeaders())["content-length"]),
    });
  });
  return sent;
}

/**
 * Records, from now on, each text the latest answer's status line and upload progress show, in
 * order (a repeat is recorded once): phases that pass too quickly to catch with a polling
 * assertion are still seen.
 */
export async function watchStatus(page: Page): Promise<{ statuses(): Promise<string[]>; progress(): Promise<string[]> }> {
  await page.evaluate(() => {
    const seen = { statuses: [] as string[], progress: [] as string[] };
    const note = (list: string[], text: string | null | undefined) => {
      if (text && list.at(-1) !== text) list.push(text);
    };
    new MutationObserver(() => {
      const latest = [...document.querySelectorAll('[data-testid="turn"]')].at(-1);
      note(seen.statuses, latest?.querySelector('[data-testid="answer-status"]')?.textContent);
      note(seen.progress, latest?.querySelector('[data-testid="upload-progress"] span')?.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
    (window as unknown as { __seen: typeof seen }).__seen = seen;
  });
  const read = (key: "statuses" | "progress") => page.evaluate((which) => (window as unknown as { __seen: Record<string, string[]> }).__seen[which]!, key);
  return { statuses: () => read("statuses"), progress: () => read("progress") };
}
