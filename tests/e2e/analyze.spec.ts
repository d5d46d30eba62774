import { readFile } from "node:fs/promises";
import * as gemini from "../helpers/fake-gemini";
import * as openai from "../helpers/fake-openai";
import { TEXT_FILE } from "../helpers/images";
import { E2E_API_KEY, E2E_MODEL, E2E_OPENAI_LABEL, E2E_OPENAI_MODEL } from "./e2e-env";
import { fakeModel } from "./fake-control";
import { controls, DIAGRAM_NAME, expect, GEMINI_LABEL, OFFLINE_LABEL, screenshot, test } from "./page-helpers";

const TASK = "Explain this architecture";
const FINAL_SENTENCE = "Nothing in the diagram needs a server of its own.";

/**
 * The scripted answer, one piece per streamed chunk: markdown the page must render (heading,
 * GFM table, fenced code) and hostile content it must not (raw HTML, a remote image, a
 * javascript: link). FINAL_SENTENCE arrives last.
 */
const ANSWER_PIECES = [
  "## Architecture overview\n\n",
  "Requests enter through **API Gateway**, run in **Lambda Functions** and land in **Amazon S3**.\n\n",
  "| Component | Role |\n| --- | --- |\n",
  "| API Gateway | Receives HTTPS requests |\n",
  "| Lambda Functions | Validates and transforms events |\n| Amazon S3 | Stores the raw objects |\n\n",
  "```ts\nexport async function handler(event: IngestEvent) {\n",
  '  await s3.putObject({ Bucket: "ingest", Key: event.id });\n}\n```\n\n',
  '<script>window.__pwned = "script"</script>\n\n<img src=x onerror="window.__pwned = \'img\'">\n\n',
  "![x](http://example.com/x.png)\n\n[bad](javascript:alert(1))\n\n",
  FINAL_SENTENCE,
];
/** The stream pauses after the heading, the intro and the start of the table. */
const HOLD_AFTER_EVENTS = 4;

test.beforeEach(async () => {
  await fakeModel.reset();
});

test("streams a markdown answer about an uploaded diagram and renders it safely", async ({ page, pageProblems, diagramPath }) => {
  const { dialogs, foreignRequests, consoleErrors, failedResponses } = pageProblems;
  await fakeModel.reply([gemini.textReply(ANSWER_PIECES, { delayMs: 60, holdAfter: HOLD_AFTER_EVENTS })]);

  await page.goto("/");
  const { upload, task, analyze, stop, answer } = controls(page);
  await expect(page.locator("header").getByText(GEMINI_LABEL)).toBeVisible();
  await expect(analyze).toBeDisabled();

  await upload.setInputFiles(diagramPath);
  await expect(page.getByRole("img", { name: `Preview of ${DIAGRAM_NAME}` })).toBeVisible();
  await expect(page.getByText(DIAGRAM_NAME, { exact: true })).toBeVisible();
  await expect(page.getByTestId("image-facts")).toContainText("900 × 360 px");
  await expect(analyze).toBeDisabled();

  await task.fill(TASK);
  await expect(analyze).toBeEnabled();
  await analyze.click();

  // Mid-stream: the fake holds the rest of the answer, so this is the page while it streams.
  await expect(answer.getByRole("heading", { name: "Architecture overview" })).toBeVisible();
  await expect(answer).toContainText("Requests enter through API Gateway");
  await expect(answer.getByTestId("answer-status")).toContainText("Writing…");
  await expect(stop).toBeVisible();
  await expect(analyze).toBeDisabled();
  // The task box stays editable: the next question can be written while this answer streams.
  await expect(task).toBeEditable();
  await expect(answer).not.toContainText("Stores the raw objects");
  await expect(answer).not.toContainText(FINAL_SENTENCE);

  await fakeModel.release();
  await expect(answer).toContainText(FINAL_SENTENCE);
  await expect(answer.getByTestId("answer-status")).toContainText("Done");
  await expect(stop).toBeHidden();
  await expect(analyze).toBeEnabled();

  // Markdown became HTML.
  await expect(answer.getByRole("heading", { level: 2, name: "Architecture overview" })).toBeVisible();
  const table = answer.locator("table");
  await expect(table).toHaveCount(1);
  await expect(table.getByRole("columnheader")).toHaveText(["Component", "Role"]);
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await expect(table.getByRole("cell", { name: "Lambda Functions", exact: true })).toBeVisible();
  await expect(table.getByRole("cell", { name: "Stores the raw objects", exact: true })).toBeVisible();
  const code = answer.locator("pre code");
  await expect(code).toHaveCount(1);
  await expect(code).toContainText("export async function handler(event: IngestEvent) {");
  await expect(code).toContainText('await s3.putObject({ Bucket: "ingest", Key: event.id });');
  // Highlighted (shiki, through @streamdown/code): tokens are spans painted in different colours,
  // a keyword unlike a string and unlike plain code.
  const colourOf = (text: string) =>
    code.locator("span:not(.block)", { hasText: new RegExp(`^${text}$`) }).first().evaluate((element) => getComputedStyle(element).color);
  await expect
    .poll(async () => new Set([await colourOf("export"), await colourOf('"ingest"'), await code.evaluate((element) => getComputedStyle(element).color)]).size)
    .toBe(3);
  await expect(answer).not.toContainText("```");
  await expect(answer).not.toContainText("| --- |");

  // Hostile content did not.
  await expect(answer.locator("script")).toHaveCount(0);
  await expect(answer.locator("img")).toHaveCount(0);
  await expect(answer.locator('a[href^="javascript:" i]')).toHaveCount(0);
  await expect(answer.locator("[onerror]")).toHaveCount(0);
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(foreignRequests).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(failedResponses).toEqual([]);

  const footer = answer.getByTestId("answer-footer");
  await expect(footer).toContainText(`Answered by ${GEMINI_LABEL}`);
  await expect(footer).toContainText(/image sent \d+ × \d+ px/);
  await expect(footer).toContainText("1,332 tokens");

  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ protocol: "gemini", model: E2E_MODEL, apiKey: E2E_API_KEY, prompt: TASK });
  expect(requests[0]?.image?.mimeType).toMatch(/^image\/(png|jpeg|webp)$/);

  await page.mouse.move(0, 0); // no hover styles in the pictures
  await screenshot(page, "desktop-1280x900");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "desktop-1280x900-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "phone-390x844");
});

test("answers with the OpenAI-compatible model chosen in the Model select", async ({ page, diagramPath }) => {
  await fakeModel.reply([
    gemini.textReply(["Gemini should not be asked."]),
    openai.textReply(["## From the model server\n\n", "The gateway calls a function.\n\n", "It writes to a bucket."], { holdAfter: 2 }),
  ]);
  await page.goto("/");
  const { upload, task, analyze, answer, model } = controls(page);

  await expect(model).toBeVisible();
  await expect(model.locator("option")).toHaveText([GEMINI_LABEL, E2E_OPENAI_LABEL, OFFLINE_LABEL]);
  await expect(model).toHaveValue("gemini");
  await model.selectOption({ label: E2E_OPENAI_LABEL });
  await expect(model).toHaveValue("openai");
  await expect(page.locator("header")).toContainText(`Answers by ${E2E_OPENAI_LABEL}`);

  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await analyze.click();

  // Held after the first two chunks: the answer is streaming, and the choice is locked meanwhile.
  await expect(answer.getByRole("heading", { name: "From the model server" })).toBeVisible();
  await expect(answer).toContainText("The gateway calls a function.");
  await expect(answer).not.toContainText("It writes to a bucket.");
  await expect(answer.getByTestId("answer-status")).toContainText("Writing…");
  await expect(model).toBeDisabled();

  await fakeModel.release();
  await expect(answer).toContainText("It writes to a bucket.");
  await expect(answer.getByTestId("answer-status")).toContainText("Done");
  const footer = answer.getByTestId("answer-footer");
  await expect(footer).toContainText(`Answered by ${E2E_OPENAI_LABEL}`);
  await expect(footer).toContainText("1,332 tokens");
  await expect(model).toBeEnabled();

  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ protocol: "openai", model: E2E_OPENAI_MODEL, prompt: TASK });
  expect(requests[0]?.image?.mimeType).toMatch(/^image\/(png|jpeg|webp)$/);
  expect(requests[0]?.image?.base64Length).toBeGreaterThan(0);
});

test("refuses a text file named .png before sending anything", async ({ page }) => {
  await page.goto("/");
  const { upload, task, analyze, form } = controls(page);
  await task.fill(TASK);

  await upload.setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: TEXT_FILE });

  // Scoped to the form: Next's route announcer is an (empty) role=alert too.
  await expect(form.getByRole("alert")).toHaveText(
    "“notes.png” is not a JPEG or PNG image. Export the diagram as PNG or JPG and try again.",
  );
  await expect(page.getByRole("img", { name: /Preview of/ })).toHaveCount(0);
  await expect(analyze).toBeDisabled();
  expect(await fakeModel.requests()).toEqual([]);
});

test("shows the server's refusal next to the form, and leaves the answer empty, when Gemini's quota is used up", async ({ page, diagramPath }) => {
  await fakeModel.reply([
    gemini.errorReply(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED", [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" },
    ]),
  ]);
  await page.goto("/");
  const { upload, task, analyze, stop, conversation, form } = controls(page);
  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await analyze.click();

  // Refused before any answer (HTTP 429 JSON): the reason belongs with the form.
  await expect(form.getByRole("alert")).toHaveText("Gemini is rate-limiting this server or its quota is used up. Try again in 37 s.");
  await expect(conversation).toHaveText("The answer will appear here as the model writes it.");
  await expect(conversation.getByRole("alert")).toHaveCount(0);
  await expect(conversation.getByTestId("turn")).toHaveCount(0);
  await expect(stop).toBeHidden();
  await expect(analyze).toBeEnabled();
  // The form keeps what the person entered, ready for another try.
  await expect(task).toHaveValue(TASK);
  await expect(page.getByRole("img", { name: `Preview of ${DIAGRAM_NAME}` })).toBeVisible();
  expect(await fakeModel.requests()).toHaveLength(1);
});

test("keeps an error that comes mid-answer in the Answer section, after the text", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.textReply(["## Overview\n\n", "The gateway calls"], { finishReason: "SAFETY" })]);
  await page.goto("/");
  const { upload, task, analyze, answer, form } = controls(page);
  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await analyze.click();

  await expect(answer.getByRole("alert")).toContainText("Gemini declined to answer for safety reasons (SAFETY).");
  await expect(answer.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(answer).toContainText("The gateway calls");
  await expect(answer.getByTestId("answer-status")).toContainText("Stopped by an error");
  await expect(form.getByRole("alert")).toHaveCount(0);
  await expect(analyze).toBeEnabled();
});

test("says so when the browser blocks the clipboard, and Download still saves the answer", async ({ page, diagramPath }) => {
  await page.addInitScript(() => {
    // What browsers do on plain http, where the clipboard API is refused.
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError")) },
    });
  });
  await fakeModel.reply([gemini.textReply(["## Overview\n\n", FINAL_SENTENCE])]);
  await page.goto("/");
  const { upload, task, analyze, answer } = controls(page);
  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await analyze.click();
  await expect(answer.getByTestId("answer-status")).toContainText("Done");

  await answer.getByRole("button", { name: "Copy markdown" }).click();
  await expect(answer.getByRole("button", { name: "Copy blocked: use Download" })).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent("download"), answer.getByRole("button", { name: "Download .md" }).click()]);
  expect(download.suggestedFilename()).toBe("serverless-diagram-answer.md");
  const saved = await readFile((await download.path())!, "utf8");
  expect(saved).toBe(`## Overview\n\n${FINAL_SENTENCE}`);
});

test("on a phone, a long code line scrolls inside its block instead of widening the page", async ({ page, diagramPath }) => {
  const longLine = `export const route = { method: "POST", path: "/ingest", target: "arn:aws:lambda:eu-west-1:123456789012:function:ingest-handler" };`;
  await fakeModel.reply([gemini.textReply(["```ts\n", `${longLine}\n`, "```\n"])]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  const { upload, task, analyze, answer } = controls(page);
  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await analyze.click();
  await expect(answer.locator("pre code")).toContainText(longLine);
  await expect(answer.getByTestId("answer-status")).toContainText("Done");

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "page width beyond the 390 px viewport").toBe(0);
});
