import type { CDPSession, Page } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { bigDiagramPng } from "./e2e-images";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, recordAnalyses, screenshotEveryLook, test, watchStatus } from "./page-helpers";

/**
 * What the person sees while an answer is on its way (the upload, the server preparing the
 * image, the model thinking, its words) and what Stop, Esc and Retry do to it.
 */

const TASK = "Explain this architecture";
const PARTIAL = "Requests enter through API Gateway and run in Lambda Functions.";
const REST = "Amazon S3 keeps every object.";
const ANSWER_PIECES = ["## Overview\n\n", `${PARTIAL}\n\n`, REST];
/** Held after the heading and the first sentence: the answer is mid-stream. */
const MID_STREAM = 2;

test.beforeEach(async () => {
  await fakeModel.reset();
});

/** "3.4 MB of 24.5 MB · 13 %" */
const PROGRESS_TEXT = /^(\d+(?:\.\d)?) (B|KB|MB) of (\d+(?:\.\d)?) MB · (\d+) %$/;

/** Chrome's own network throttling: the upload really goes this slowly, progress events and all. */
async function throttleUpload(cdp: CDPSession, bytesPerSecond: number) {
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

async function slowLink(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  // 25 s for the big diagram: time enough to watch it and take its pictures even on a busy machine.
  await throttleUpload(cdp, 1_000_000);
  return {
    /** Removes the limit, so the rest of the upload does not slow the suite down. */
    lift: () => throttleUpload(cdp, -1),
  };
}

function percentOf(text: string): number {
  return Number(PROGRESS_TEXT.exec(text)?.[4] ?? Number.NaN);
}

test("a big diagram on a slow link: upload progress in bytes and percent, then preparing, thinking, writing and done, with the time ticking", async ({
  page,
  tempFile,
}) => {
  test.slow(); // a 25 MB upload, throttled, twice
  const big = await tempFile("big-diagram.png", await bigDiagramPng());
  // Held before any chunk: the model has accepted the request and is "thinking". Then paced, so
  // the page renders the answer being written before it is done.
  await fakeModel.reply([gemini.textReply(ANSWER_PIECES, { holdAfter: 0, delayMs: 100 })]);
  await page.goto("/");
  const { answer, stop, analyze: analyzeButton } = controls(page);
  const status = answer.getByTestId("answer-status");
  const bar = answer.getByRole("progressbar", { name: "Upload progress" });
  const progressText = answer.getByTestId("upload-progress").locator("span");
  const link = await slowLink(page);

  // First try: the person stops while the file is still going up.
  await analyze(page, big, TASK);
  await expect(status).toHaveText("Uploading the image…");
  await expect(bar).toBeVisible();
  await stop.click();
  await expect(status).toHaveText("Stopped");
  await expect(answer.getByTestId("stopped-note")).toHaveText("Stopped before the model answered.");
  await expect(bar).toBeHidden();
  await expect(analyzeButton).toBeEnabled();

  // Retry sends the file again (the server never kept it), and this time it goes all the way.
  const seen = await watchStatus(page);
  const sent = recordAnalyses(page);
  await answer.getByRole("button", { name: "Retry" }).click();
  await expect(status).toHaveText("Uploading the image…");
  await expect(progressText).toHaveText(PROGRESS_TEXT);
  const firstText = await progressText.textContent();
  const firstValue = Number(await bar.getAttribute("value"));
  // The bar and its words move on together as the bytes go up, towards the same total.
  await expect.poll(async () => percentOf((await progressText.textContent()) ?? "")).toBeGreaterThan(percentOf(firstText!));
  // Read a moment after the words, the first value may already be a later one: wait for it to move.
  await expect.poll(async () => Number(await bar.getAttribute("value"))).toBeGreaterThan(firstValue);
  const total = Number(await bar.getAttribute("max"));
  expect(total).toBeGreaterThan(20 * 1024 * 1024);
  expect(PROGRESS_TEXT.exec((await progressText.textContent())!)?.[3]).toBe((total / 1024 / 1024).toFixed(1));
  await screenshotEveryLook(page, "upload-progress");
  await expect(bar).toBeVisible(); // still uploading: the pictures show the progress bar
  await link.lift();

  await expect(status).toHaveText("Thinking…");
  await expect(bar).toBeHidden();
  // The time since the question ticks on while the model thinks.
  const elapsed = answer.getByTestId("elapsed");
  const secondsShown = async () => Number(/([\d.]+) s/.exec((await elapsed.textContent()) ?? "")?.[1]);
  const thinkingSince = await secondsShown();
  await expect.poll(secondsShown).toBeGreaterThan(thinkingSince);

  await fakeModel.release();
  await expect(answer.getByTestId("answer-text")).toContainText(REST);
  await expect(status).toHaveText("Done");
  await expect(stop).toBeHidden();

  // Every phase in order, and nothing else: a question with a file never says it is only sending.
  const statuses = await seen.statuses();
  expect(statuses).toEqual([
    "Uploading the image…",
    "Preparing the image…",
    "Thinking…",
    "Writing…",
    "Done",
  ]);
  const progress = await seen.progress();
  expect(progress.length).toBeGreaterThan(2);
  for (const text of progress) expect(text).toMatch(PROGRESS_TEXT);
  const percents = progress.map(percentOf);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(sent).toHaveLength(1);
  expect(await sent[0]!.bytes()).toBe(total);
  // Only the finished upload reached the model.
  expect(await fakeModel.requests()).toHaveLength(1);
});

test("Stop mid-answer ends the model call, keeps the words so far, and Retry writes the whole answer again", async ({ page, diagramPath }) => {
  await fakeModel.reply([
    gemini.textReply(ANSWER_PIECES, { holdAfter: MID_STREAM }),
    gemini.textReply([`${PARTIAL}\n\n`, REST]),
  ]);
  await page.goto("/");
  const { answer, stop, analyze: analyzeButton } = controls(page);
  const text = answer.getByTestId("answer-text");
  await analyze(page, diagramPath, TASK);
  await expect(text).toContainText(PARTIAL);
  await expect(answer.getByTestId("answer-status")).toHaveText("Writing…");
  expect(await fakeModel.disconnects()).toBe(0);

  await stop.click();

  // The server gave up on the model: the fake saw its connection close before the stream ended.
  await expect.poll(() => fakeModel.disconnects()).toBe(1);
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(answer.getByTestId("stopped-note")).toHaveText("Stopped before the answer was finished.");
  await expect(answer.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(text).toContainText(PARTIAL);
  await expect(text).not.toContainText(REST);
  await expect(stop).toBeHidden();
  await expect(analyzeButton).toBeEnabled();
  // The partial answer is the person's to keep.
  await expect(answer.getByRole("button", { name: "Copy markdown" })).toBeVisible();
  await expect(answer.getByRole("button", { name: "Download .md" })).toBeVisible();
  await screenshotEveryLook(page, "stopped-answer");

  const sent = recordAnalyses(page);
  await answer.getByRole("button", { name: "Retry" }).click();
  await expect(text).toContainText(REST);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("stopped-note")).toHaveCount(0);
  await expect(answer.getByRole("button", { name: "Regenerate" })).toBeVisible();
  // Still one question: Retry replaced its answer rather than adding a turn.
  await expect(controls(page).turns).toHaveCount(1);

  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(2);
  // The same question again, about the saved image: not a follow-up to the stopped answer.
  expect(requests[1]).toMatchObject({ prompt: TASK, turns: [{ role: "user", text: TASK }], imageCount: 1 });
  // It names the saved conversation and the stopped turn, which the new answer replaces.
  expect(sent).toHaveLength(1);
  expect(sent[0]!.fields).toEqual(["prompt", "provider", "conversationId", "replaceTurnId"]);
  expect(await fakeModel.disconnects()).toBe(1);
});

test("Esc stops the answer like the Stop button", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.textReply(ANSWER_PIECES, { holdAfter: MID_STREAM })]);
  await page.goto("/");
  const { answer, task } = controls(page);
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-text")).toContainText(PARTIAL);

  // Esc works wherever focus is: here on nothing in particular, since the Analyze button it was on
  // is disabled while the answer runs.
  await page.keyboard.press("Escape");

  await expect.poll(() => fakeModel.disconnects()).toBe(1);
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(answer.getByTestId("stopped-note")).toHaveText("Stopped before the answer was finished.");
  await expect(answer.getByTestId("answer-text")).toContainText(PARTIAL);
  await expect(answer.getByTestId("answer-text")).not.toContainText(REST);
  // Nothing else happened to the form: the task is still there.
  await expect(task).toHaveValue(TASK);
});

test("a Retry the server refuses keeps the question and says why in it", async ({ page, diagramPath }) => {
  // The model never accepts the first request, so it is stopped before any answer or kept image.
  await fakeModel.reply([{ ...gemini.textReply(ANSWER_PIECES), holdHeaders: true }]);
  await page.goto("/");
  const { answer, turns, stop, form } = controls(page);
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Preparing the image…");
  await stop.click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(answer.getByTestId("stopped-note")).toHaveText("Stopped before the model answered.");

  await fakeModel.reset();
  await fakeModel.reply([gemini.errorReply(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED")]);
  await answer.getByRole("button", { name: "Retry" }).click();

  // The refusal belongs to the question it answers, not to the form, and the question stays.
  await expect(answer.getByRole("alert")).toContainText("Gemini is rate-limiting this server or its quota is used up.");
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped by an error");
  await expect(turns).toHaveCount(1);
  await expect(form.getByRole("alert")).toHaveCount(0);
});
