import { readFile } from "node:fs/promises";
import type { Download, Page } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { DIAGRAM_LABELS } from "../helpers/images";
import { fakeModel } from "./fake-control";
import { analyze, controls, DIAGRAM_NAME, expect, test } from "./page-helpers";

/**
 * Download as draw.io and as Mermaid (issue #16): the diagram as the offline analyzer reads it,
 * whichever provider answers, for a picked image and for a saved conversation's image.
 */

/** OCR on a busy machine takes a few seconds. */
const READ_TIMEOUT = 60_000;
const DIAGRAM_BASE = DIAGRAM_NAME.replace(/\.png$/, "");

test.beforeEach(async () => {
  await fakeModel.reset();
});

function downloads(page: Page) {
  const group = page.getByRole("group", { name: "Download the diagram" });
  return {
    group,
    drawio: group.getByRole("button", { name: "Download as draw.io" }),
    mermaid: group.getByRole("button", { name: "Download as Mermaid" }),
    error: group.getByRole("alert"),
  };
}

/** Clicks a download button and waits for the file, checking the button says it is working meanwhile. */
async function download(page: Page, label: string): Promise<{ download: Download; text: string }> {
  const button = page.getByRole("button", { name: label });
  // The request is held until the working state is seen: a reading the server already has cached
  // can come back before an assertion could look.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/structure**", async (route) => {
    await held;
    await route.continue();
  });
  const waiting = page.waitForEvent("download", { timeout: READ_TIMEOUT });
  await button.click();
  const working = page.getByRole("button", { name: "Reading the diagram…" });
  await expect(working).toBeDisabled();
  release();
  const file = await waiting;
  await page.unroute("**/api/structure**");
  await expect(button).toBeEnabled({ timeout: READ_TIMEOUT });
  const path = await file.path();
  return { download: file, text: await readFile(path, "utf8") };
}

function expectDrawio(text: string) {
  expect(text).toContain("<mxGraphModel");
  const vertices = [...text.matchAll(/<mxCell\b[^>]*>/g)].map((match) => match[0]).filter((cell) => cell.includes('vertex="1"'));
  expect(vertices.length).toBeGreaterThan(0);
  expect(vertices.some((cell) => /value="[^"]*API Gateway/.test(cell)), vertices.join("\n")).toBe(true);
}

function expectMermaid(text: string) {
  expect(text.trimStart().startsWith("flowchart")).toBe(true);
  // OCR may join the words of a label ("LambdaFunctions"), as the offline specs allow for.
  expect(text).toMatch(new RegExp(DIAGRAM_LABELS[1]!.replace(" ", " ?")));
}

test("a picked diagram downloads as draw.io and as Mermaid, named after the image", async ({ page, pageProblems, diagramPath }) => {
  test.setTimeout(180_000);
  await page.goto("/");
  const { upload } = controls(page);
  const { drawio, mermaid, error } = downloads(page);
  await expect(drawio).toBeHidden();
  await upload.setInputFiles(diagramPath);
  await expect(drawio).toBeVisible();
  await expect(mermaid).toBeVisible();
  await page.emulateMedia({ colorScheme: "light" });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: "test-results/structure-downloads.png", animations: "disabled" });

  const asDrawio = await download(page, "Download as draw.io");
  expect(asDrawio.download.suggestedFilename()).toBe(`${DIAGRAM_BASE}.drawio`);
  expectDrawio(asDrawio.text);

  const asMermaid = await download(page, "Download as Mermaid");
  expect(asMermaid.download.suggestedFilename()).toBe(`${DIAGRAM_BASE}.mmd`);
  expectMermaid(asMermaid.text);

  await expect(error).toHaveCount(0);
  pageProblems.expectNone();
});

test("a saved conversation's image downloads too, read back from the server", async ({ page, pageProblems, diagramPath }) => {
  test.setTimeout(180_000);
  await fakeModel.reply([gemini.textReply(["API Gateway calls Lambda Functions."])]);
  await page.goto("/");
  const { answer } = controls(page);
  await analyze(page, diagramPath, "List every component and its role (structure download)");
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(page).toHaveURL(/\/c\/[^/]+$/);

  await page.reload();
  // The saved conversation's image panel, with no file in the browser: its buttons read the image from the server.
  await expect(page.getByRole("button", { name: "Download as Mermaid" })).toBeVisible();
  const asMermaid = await download(page, "Download as Mermaid");
  expect(asMermaid.download.suggestedFilename()).toMatch(/\.mmd$/);
  expectMermaid(asMermaid.text);
  await expect(downloads(page).error).toHaveCount(0);
  pageProblems.expectNone();
});

test("a refusal is shown next to the buttons, and the buttons work again", async ({ page, pageProblems, diagramPath }) => {
  await page.route("**/api/structure?format=drawio", (route) =>
    route.fulfill({
      status: 503,
      headers: { "Retry-After": "5" },
      contentType: "application/json",
      body: JSON.stringify({ error: { code: "server_busy", message: "The server is busy. Try again in a few seconds." } }),
    }),
  );
  await page.goto("/");
  await controls(page).upload.setInputFiles(diagramPath);
  const { error } = downloads(page);
  await page.getByRole("button", { name: "Download as draw.io" }).click();
  await expect(error).toHaveText("The server is busy. Try again in a few seconds.");
  await expect(page.getByRole("button", { name: "Download as draw.io" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Download as Mermaid" })).toBeEnabled();
  // The 503 is the test's own; everything else must be clean.
  expect(pageProblems.consoleErrors.filter((text) => !text.includes("503"))).toEqual([]);
  expect(pageProblems.dialogs).toEqual([]);
});
