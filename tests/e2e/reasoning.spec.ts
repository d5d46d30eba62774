import { readFile } from "node:fs/promises";
import type { Locator } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { E2E_OPENAI_LABEL } from "./e2e-env";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, OFFLINE_LABEL, screenshotEveryLook, test } from "./page-helpers";

/**
 * Gemini's thought summaries, shown apart from the answer in a "Reasoning" panel, and the Depth
 * control that sets how long it thinks.
 */

const TASK = "Find single points of failure and risks";
const THOUGHTS = [
  "**Reading the boxes**\n\nThree boxes in a row: API Gateway, Lambda Functions, Amazon S3.",
  "\n\nEvery arrow runs left to right, so nothing bypasses the gateway.",
];
const ANSWER_PIECES = ["## Risks\n\n", "API Gateway is the only way in.\n\n", "Amazon S3 is regional."];
const ANSWER = ANSWER_PIECES.join("");
const FOLLOW_UP_THOUGHT = "**Weighing regions**\n\nA second region doubles the cost of storage.";
const FOLLOW_UP_PIECES = ["Replicate the bucket ", "to a second region."];

/** A Gemini stream: thought parts first, then the answer's text. */
function thinkingReply(thoughts: string[], pieces: string[], holdAfter: number) {
  const answer = gemini.textReply(pieces);
  return gemini.streamReply([...thoughts.map((text) => gemini.candidateChunk([{ text, thought: true }])), ...answer.chunks], { holdAfter });
}

test.beforeEach(async () => {
  await fakeModel.reset();
});

async function isOpen(panel: Locator): Promise<boolean> {
  return panel.evaluate((details) => (details as HTMLDetailsElement).open);
}

test("the model's reasoning streams into an open panel while it thinks, folds away when the answer starts, and stays out of the answer", async ({
  page,
  context,
  diagramPath,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await fakeModel.reply([
    // Held after the thoughts: the model is still thinking.
    thinkingReply(THOUGHTS, ANSWER_PIECES, THOUGHTS.length),
    // Held after the first piece of the answer: it is being written.
    thinkingReply([FOLLOW_UP_THOUGHT], FOLLOW_UP_PIECES, 2),
  ]);
  await page.goto("/");
  const { answer, turns, followUpTask } = controls(page);
  await analyze(page, diagramPath, TASK);

  const reasoning = answer.getByTestId("reasoning");
  const summary = reasoning.locator("summary");
  await expect(answer.getByTestId("answer-status")).toHaveText("Thinking…");
  await expect(summary).toHaveText("Reasoning · thinking…");
  await expect(reasoning).toContainText("Every arrow runs left to right");
  await expect(reasoning.getByText("Reading the boxes")).toBeVisible();
  expect(await isOpen(reasoning)).toBe(true);
  await expect(answer.getByTestId("answer-text")).toHaveCount(0);
  await screenshotEveryLook(page, "thinking-with-reasoning-open");

  await fakeModel.release();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  // The answer took the stage: the reasoning folded away, above it, and is no longer "thinking".
  await expect.poll(() => isOpen(reasoning)).toBe(false);
  await expect(reasoning.getByText("Reading the boxes")).toBeHidden();
  await expect(summary).toHaveText("Reasoning");
  const answerText = answer.getByTestId("answer-text");
  await expect(answerText.getByRole("heading", { name: "Risks" })).toBeVisible();
  await expect(answerText).toContainText("Amazon S3 is regional.");
  for (const thought of ["Reading the boxes", "Every arrow runs left to right"]) await expect(answerText).not.toContainText(thought);
  // Above the answer, as it was while the model thought.
  const [panelBox, textBox] = [await reasoning.boundingBox(), await answerText.boundingBox()];
  expect(panelBox!.y + panelBox!.height).toBeLessThanOrEqual(textBox!.y);

  // The person can read it again.
  await summary.click();
  await expect(reasoning.getByText("Reading the boxes")).toBeVisible();
  expect(await isOpen(reasoning)).toBe(true);

  // What leaves the page is the answer alone.
  await answer.getByRole("button", { name: "Copy markdown" }).click();
  await expect(answer.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(ANSWER);
  const [download] = await Promise.all([page.waitForEvent("download"), answer.getByRole("button", { name: "Download .md" }).click()]);
  expect(await readFile((await download.path())!, "utf8")).toBe(ANSWER);

  // A follow-up thinks again: its own panel folds once its answer starts, and stays open once the
  // person opens it, while the rest of the answer arrives.
  await followUpTask.fill("How would you remove the regional risk?");
  await followUpTask.press("Control+Enter");
  await expect(turns).toHaveCount(2);
  const followUpReasoning = answer.getByTestId("reasoning");
  await expect(answer.getByTestId("answer-text")).toHaveText("Replicate the bucket");
  await expect(answer.getByTestId("answer-status")).toHaveText("Writing…");
  await expect.poll(() => isOpen(followUpReasoning)).toBe(false);
  await followUpReasoning.locator("summary").click();
  await expect(followUpReasoning.getByText("Weighing regions")).toBeVisible();
  await fakeModel.release();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText("Replicate the bucket to a second region.");
  expect(await isOpen(followUpReasoning)).toBe(true);
  // The first answer's panel is as the person left it.
  expect(await isOpen(turns.first().getByTestId("reasoning"))).toBe(true);

  // The model is sent back its answers, not its thoughts.
  const requests = await fakeModel.requests();
  expect(requests[1]?.turns).toEqual([
    { role: "user", text: TASK },
    { role: "model", text: ANSWER },
    { role: "user", text: "How would you remove the regional risk?" },
  ]);
});

test("Depth sets Gemini's thinking level, or leaves it to the model, and is offered only for Gemini", async ({ page, diagramPath }) => {
  await page.goto("/");
  const { depth, model, answer, followUpTask } = controls(page);
  const thinkingConfigs = async () => (await fakeModel.requests()).map((request) => request.thinkingConfig);

  // GEMINI_THINKING_LEVEL is not set for the server under test: the model decides unless asked.
  await expect(depth.locator("option")).toHaveText(["Model default", "Minimal · fastest", "Low", "Medium", "High · most thorough"]);
  await expect(depth).toHaveValue("");
  await expect(page.getByText("How long the model reasons before it answers.")).toBeVisible();
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  expect(await thinkingConfigs()).toEqual([{ includeThoughts: true }]);

  await depth.selectOption({ label: "High · most thorough" });
  await answer.getByRole("button", { name: "Regenerate" }).click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  expect((await thinkingConfigs())[1]).toEqual({ includeThoughts: true, thinkingLevel: "HIGH" });

  // Each level, for follow-ups too.
  for (const [label, level] of [["Minimal · fastest", "MINIMAL"], ["Low", "LOW"], ["Medium", "MEDIUM"]] as const) {
    await depth.selectOption({ label });
    await followUpTask.fill(`And at ${label}?`);
    await followUpTask.press("Control+Enter");
    await expect(answer.getByTestId("answer-status")).toHaveText("Done");
    expect((await thinkingConfigs()).at(-1)).toEqual({ includeThoughts: true, thinkingLevel: level });
  }

  // Other providers have no such setting; Gemini's choice waits for it.
  await model.selectOption({ label: E2E_OPENAI_LABEL });
  await expect(depth).toHaveCount(0);
  await model.selectOption({ label: OFFLINE_LABEL });
  await expect(depth).toHaveCount(0);
  await model.selectOption({ index: 0 });
  await expect(depth).toHaveValue("medium");
});
