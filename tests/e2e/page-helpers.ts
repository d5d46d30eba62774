import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test as base, expect, type Page, type Request } from "@playwright/test";
import { diagramPng } from "../helpers/images";
import { APP_URL, E2E_MODEL } from "./e2e-env";

/**
 * What every spec shares: its `test` with the fixtures below, the page's controls as a person
 * finds them, pictures, and files to upload.
 */

export const DIAGRAM_NAME = "serverless-diagram.png";
export const GEMINI_LABEL = `Gemini · ${E2E_MODEL}`;
export const OFFLINE_LABEL = "Offline analyzer · no model, nothing leaves the server";

/**
 * Everything a page must never cause: console errors (CSP violations, React errors, uncaught
 * exceptions), failed or foreign requests, dialogs (dismissed as they come).
 */
export interface PageProblems {
  consoleErrors: string[];
  failedResponses: string[];
  foreignRequests: string[];
  dialogs: string[];
  /** Fails the test when any problem was seen. */
  expectNone(): void;
}

export interface PageFixtures {
  /** What went wrong on `page` since the test started. */
  pageProblems: PageProblems;
}

export interface E2EFixtures {
  /** The serverless diagram (tests/helpers/images.ts) as a file to pick. */
  diagramPath: string;
  /** Writes bytes to a file to pick, in a folder removed when the worker ends. */
  tempFile(name: string, bytes: Uint8Array): Promise<string>;
}

export const test = base.extend<PageFixtures, E2EFixtures>({
  pageProblems: [async ({ page }, use) => use(watchProblems(page)), { scope: "test" }],
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

export { expect };

function watchProblems(page: Page): PageProblems {
  const problems = { consoleErrors: [] as string[], failedResponses: [] as string[], foreignRequests: [] as string[], dialogs: [] as string[] };
  page.on("console", (message) => {
    // Failed loads are checked by URL below; everything else (CSP violations, React errors) counts.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => problems.consoleErrors.push(error.message));
  page.on("response", (response) => {
    // The app ships no favicon; Chromium asks for one on every page.
    if (response.status() >= 400 && new URL(response.url()).pathname !== "/favicon.ico") {
      problems.failedResponses.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(APP_URL) && !url.startsWith("blob:") && !url.startsWith("data:")) problems.foreignRequests.push(url);
  });
  page.on("dialog", (dialog) => {
    problems.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return {
    ...problems,
    expectNone() {
      expect(problems).toEqual({ consoleErrors: [], failedResponses: [], foreignRequests: [], dialogs: [] });
    },
  };
}

export const UPLOAD_PROMPT = "Drop a diagram here, paste it, or browse";

export function controls(page: Page) {
  const form = page.getByRole("form", { name: "Analyze an image" });
  const followUp = page.getByRole("form", { name: "Ask a follow-up" });
  return {
    /** The picker: its drop zone, the upload button, and once an image is picked its preview. */
    zone: page.getByRole("group", { name: "Diagram image" }),
    upload: page.getByLabel("Upload image"),
    uploadButton: page.getByRole("button", { name: UPLOAD_PROMPT }),
    preview: page.getByRole("button", { name: /^Click to zoom into / }),
    previewImage: (name: string) => page.getByRole("img", { name: `Preview of ${name}` }),
    facts: page.getByTestId("image-facts"),
    replace: page.getByRole("button", { name: "Replace", exact: true }),
    remove: page.getByRole("button", { name: "Remove", exact: true }),
    /** The form's problem. Scoped to the form: Next's route announcer is an (empty) role=alert too. */
    error: form.getByRole("alert"),
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

/** The full-screen image viewer of the picked image called `name`. */
export function imageViewer(page: Page, name: string) {
  const dialog = page.getByRole("dialog", { name });
  return {
    dialog,
    image: dialog.getByRole("img", { name }),
    surface: dialog.getByRole("group", { name }),
    level: dialog.getByRole("status", { name: "Zoom level" }),
    zoomIn: dialog.getByRole("button", { name: "Zoom in" }),
    zoomOut: dialog.getByRole("button", { name: "Zoom out" }),
    fit: dialog.getByRole("button", { name: "Fit to screen" }),
    actualSize: dialog.getByRole("button", { name: "100 %" }),
    close: dialog.getByRole("button", { name: "Close" }),
  };
}

export function screenshotPath(name: string): string {
  return path.join(test.info().project.outputDir, "screenshots", `${name}.png`);
}

/** The page as it is now, the whole page unless `fullPage` is false (the viewport only). */
export async function screenshot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}) {
  await page.mouse.move(0, 0); // no hover styles in the pictures
  await page.screenshot({ path: screenshotPath(name), fullPage, animations: "disabled" });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * The page as it is now, on a desktop and a phone, light and dark: `{name}-desktop`,
 * `{name}-desktop-dark`, `{name}-phone`, `{name}-phone-dark`. Leaves the page at desktop size, light.
 */
export async function screenshotEveryLook(page: Page, name: string) {
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
