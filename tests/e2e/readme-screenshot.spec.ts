import * as gemini from "../helpers/fake-gemini";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, screenshot, test } from "./page-helpers";

/**
 * The picture at the top of the README, taken from a real run of the page: the history beside, a
 * first answer with the model's reasoning, a table and a Mermaid redraw, then a follow-up. Copy
 * test-results/screenshots/readme-desktop.png to docs/screenshot.png to refresh it.
 */

const THOUGHTS = [
  "**Reading the diagram**\n\nThree boxes joined left to right: API Gateway, Lambda Functions, Amazon S3.",
  "\n\n**Checking the flow**\n\nEvery request passes the gateway; nothing writes to S3 directly.",
];
const ANSWER = [
  "## Overview\n\nA serverless ingestion path: **API Gateway** receives HTTPS requests, ",
  "**Lambda Functions** validate and transform them, and **Amazon S3** stores the raw objects.\n\n",
  "| Component | Role |\n| --- | --- |\n| API Gateway | Entry point, auth and throttling |\n",
  "| Lambda Functions | Validation and transformation |\n| Amazon S3 | Durable object storage |\n\n",
  "## Data flow\n\n```mermaid\nflowchart LR\n  A[API Gateway] -->|HTTPS| B[Lambda Functions]\n  B -->|PutObject| C[(Amazon S3)]\n```\n",
];
const FOLLOW_UP = "What happens if Lambda is throttled?";
const FOLLOW_UP_ANSWER = ["API Gateway returns **429** to callers; ", "add an SQS queue in front of Lambda to absorb bursts."];

test("the README's picture: reasoning, a table, a Mermaid diagram and a follow-up", async ({ page, diagramPath }) => {
  await fakeModel.reset();
  await fakeModel.reply([gemini.thinkingReply(THOUGHTS, ANSWER), gemini.thinkingReply([], FOLLOW_UP_ANSWER)]);
  // The history column beside shows this conversation alone, whatever the specs before saved.
  expect((await page.request.delete("/api/conversations")).status()).toBe(204);
  await page.goto("/");
  const { turns, answer, followUpTask, ask } = controls(page);

  await analyze(page, diagramPath, "Explain this architecture");
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByRole("figure", { name: "Mermaid diagram" }).locator("svg")).toBeVisible();
  await followUpTask.fill(FOLLOW_UP);
  await ask.click();
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer).toContainText("add an SQS queue");

  // The form column is sticky: scrolled to the new answer, a full-page picture would show it midway.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await screenshot(page, "readme-desktop");
});
